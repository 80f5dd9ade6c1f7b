// RoPE (rotate-half / NeoX layout, the Llama family's) fused with the optional Qwen3 per-head q/k RMSNorm and
// with writing K and V into the paged cache. One warp per ROPE_HEADS_PER_WARP consecutive heads of a token (fewer,
// longer-lived CTAs: with one head a warp the kernel was bound by per-CTA latency); the grid's y is the token.
//
// qkv:        [T, (hq + 2*hkv) * d] straight from the fused QKV GEMM; q is rotated in place.
// cos_sin:    [max_pos, d] fp32 rows of (cos[0..d/2) | sin[0..d/2)), built on the host (llama3 scaling applied).
// slots:      [T] cache slot (block * block_size + offset); negative = padding, not written.
// caches:     [blocks, hkv, block_size, d] bf16, K and V separately.
// q_norm/k_norm: [d] weights or null.
#define ROPE_HEADS_PER_WARP 4

extern "C" __global__ void rope_qk_norm_cache(bf16* __restrict__ qkv, const int* __restrict__ positions,
                                              const float* __restrict__ cos_sin, const int* __restrict__ slots,
                                              bf16* __restrict__ k_cache, bf16* __restrict__ v_cache,
                                              const bf16* __restrict__ q_norm, const bf16* __restrict__ k_norm,
                                              int hq, int hkv, int d, int block_size, float eps)
{
    constexpr int HPW = ROPE_HEADS_PER_WARP;
    early_dependent_launch_entry();
    const int lane = threadIdx.x & 31;
    const int total = hq + 2 * hkv;
    const int head0 = (blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5)) * HPW;
    const int t = blockIdx.y;
    if (head0 >= total) return;
    const int slot = slots[t];
    const int pos = positions[t];
    const int half = d / 2;
    bf16* row = qkv + (size_t)t * total * d;
    const float* cs = cos_sin + (size_t)pos * d;
    const size_t slot_base = (size_t)(slot / block_size) * hkv * block_size + slot % block_size;   // (block, 0, offset)

    // Every load of the warp's heads first, so they are in flight together (a store could alias a later head's load
    // for the compiler, which would otherwise keep them in order). Each lane takes element pairs (i, i + 1) of both
    // halves, i = 2 * (lane + 32 * j): d <= 256 gives at most two pairs a lane; V rows move 16 bytes a lane.
    float2 c[2], sn[2];
    u32 xa[HPW][2], xb[HPW][2];
    uint4 xv[HPW];
#pragma unroll
    for (int j = 0; j < 2; j++)
    {
        const int i = 2 * (lane + 32 * j);
        c[j] = sn[j] = make_float2(0.f, 0.f);
        if (i < half)
        {
            c[j] = *(const float2*)(cs + i);
            sn[j] = *(const float2*)(cs + half + i);
        }
    }
#pragma unroll
    for (int h = 0; h < HPW; h++)
    {
        const int head = head0 + h;
        const bf16* x = row + (size_t)head * d;
        xv[h] = make_uint4(0, 0, 0, 0);
#pragma unroll
        for (int j = 0; j < 2; j++) xa[h][j] = xb[h][j] = 0;
        if (head >= total) continue;
        if (head >= hq + hkv)
        {
            if ((d & 7) == 0 && lane < d / 8) xv[h] = ((const uint4*)x)[lane];
            continue;
        }
#pragma unroll
        for (int j = 0; j < 2; j++)
        {
            const int i = 2 * (lane + 32 * j);
            if (i < half)
            {
                xa[h][j] = *(const u32*)(x + i);
                xb[h][j] = *(const u32*)(x + i + half);
            }
        }
    }

#pragma unroll
    for (int h = 0; h < HPW; h++)
    {
        const int head = head0 + h;
        if (head >= total) break;
        if (head >= hq + hkv)
        {
            if (slot < 0) continue;
            bf16* dst = v_cache + (slot_base + (size_t)(head - hq - hkv) * block_size) * d;
            if ((d & 7) == 0)
            {
                if (lane < d / 8) ((uint4*)dst)[lane] = xv[h];
            }
            else
            {
                const bf16* x = row + (size_t)head * d;
                for (int i = lane; i < d; i += 32) dst[i] = x[i];
            }
            continue;
        }
        const bool is_q = head < hq;
        if (!is_q && slot < 0) continue;
        float a[2][2], b[2][2];
        float ss = 0.f;
#pragma unroll
        for (int j = 0; j < 2; j++)
        {
            a[j][0] = lo_f(xa[h][j]);
            a[j][1] = hi_f(xa[h][j]);
            b[j][0] = lo_f(xb[h][j]);
            b[j][1] = hi_f(xb[h][j]);
            ss += a[j][0] * a[j][0] + a[j][1] * a[j][1] + b[j][0] * b[j][0] + b[j][1] * b[j][1];
        }
        const bf16* norm = is_q ? q_norm : k_norm;
        if (norm != 0)
        {
            const float inv = rsqrtf(warp_sum(ss) / d + eps);
#pragma unroll
            for (int j = 0; j < 2; j++)
            {
                const int i = 2 * (lane + 32 * j);
                if (i < half)
                {
                    // The norm's output is bf16 in the reference model before RoPE sees it.
#pragma unroll
                    for (int e = 0; e < 2; e++)
                    {
                        a[j][e] = bf2f(f2bf(a[j][e] * inv * bf2f(norm[i + e])));
                        b[j][e] = bf2f(f2bf(b[j][e] * inv * bf2f(norm[i + half + e])));
                    }
                }
            }
        }
        bf16* dst = is_q ? row + (size_t)head * d : k_cache + (slot_base + (size_t)(head - hq) * block_size) * d;
#pragma unroll
        for (int j = 0; j < 2; j++)
        {
            const int i = 2 * (lane + 32 * j);
            if (i < half)
            {
                *(u32*)(dst + i) = pack2(a[j][0] * c[j].x - b[j][0] * sn[j].x, a[j][1] * c[j].y - b[j][1] * sn[j].y);
                *(u32*)(dst + i + half) = pack2(b[j][0] * c[j].x + a[j][0] * sn[j].x, b[j][1] * c[j].y + a[j][1] * sn[j].y);
            }
        }
    }
}

// In-place RMSNorm of each head-sized slice of columns [first, first + heads * d) of every row, one shared [d]
// weight (Qwen3's q_norm / k_norm). One warp per (row, head); grid (ceil(heads / 4), rows), block 128.
extern "C" __global__ void head_rmsnorm(bf16* __restrict__ x, int row_stride, int first, int heads, int d,
                                        const bf16* __restrict__ weight, float eps)
{
    dependent_launch_entry();
    const int lane = threadIdx.x & 31;
    const int head = blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5);
    if (head >= heads) return;
    bf16* v = x + (size_t)blockIdx.y * row_stride + first + (size_t)head * d;
    float a[8];
    float ss = 0.f;
#pragma unroll
    for (int j = 0; j < 8; j++)
    {
        const int i = lane + 32 * j;
        a[j] = i < d ? bf2f(v[i]) : 0.f;
        ss += a[j] * a[j];
    }
    const float inv = rsqrtf(warp_sum(ss) / d + eps);
#pragma unroll
    for (int j = 0; j < 8; j++)
    {
        const int i = lane + 32 * j;
        if (i < d) v[i] = f2bf(a[j] * inv * bf2f(weight[i]));
    }
}

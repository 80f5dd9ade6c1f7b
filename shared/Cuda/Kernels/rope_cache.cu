// RoPE (rotate-half / NeoX layout, the Llama family's) fused with the optional Qwen3 per-head q/k RMSNorm and
// with writing K and V into the paged cache. One warp per head; the grid's y is the token.
//
// qkv:        [T, (hq + 2*hkv) * d] straight from the fused QKV GEMM; q is rotated in place.
// cos_sin:    [max_pos, d] fp32 rows of (cos[0..d/2) | sin[0..d/2)), built on the host (llama3 scaling applied).
// slots:      [T] cache slot (block * block_size + offset); negative = padding, not written.
// caches:     [blocks, hkv, block_size, d] bf16, K and V separately.
// q_norm/k_norm: [d] weights or null.
extern "C" __global__ void rope_qk_norm_cache(bf16* __restrict__ qkv, const int* __restrict__ positions,
                                              const float* __restrict__ cos_sin, const int* __restrict__ slots,
                                              bf16* __restrict__ k_cache, bf16* __restrict__ v_cache,
                                              const bf16* __restrict__ q_norm, const bf16* __restrict__ k_norm,
                                              int hq, int hkv, int d, int block_size, float eps)
{
    dependent_launch_entry();
    const int lane = threadIdx.x & 31;
    const int head = blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5);
    const int t = blockIdx.y;
    if (head >= hq + 2 * hkv) return;
    bf16* x = qkv + (size_t)t * (hq + 2 * hkv) * d + (size_t)head * d;
    const int slot = slots[t];
    const int half = d / 2;

    if (head >= hq + hkv)
    {
        if (slot < 0) return;
        const int kvh = head - hq - hkv;
        bf16* dst = v_cache + (((size_t)(slot / block_size) * hkv + kvh) * block_size + slot % block_size) * d;
        if ((d & 7) == 0)
            for (int i = lane; i < d / 8; i += 32) ((uint4*)dst)[i] = ((const uint4*)x)[i];
        else
            for (int i = lane; i < d; i += 32) dst[i] = x[i];
        return;
    }

    // Each lane takes element pairs (i, i + 1) of both halves, i = 2 * (lane + 32 * j): 4-byte loads and stores,
    // 8-byte cos/sin loads. d <= 256 gives at most two pairs per lane.
    const bool is_q = head < hq;
    const bf16* norm = is_q ? q_norm : k_norm;
    float a[2][2], b[2][2];
    float ss = 0.f;
#pragma unroll
    for (int j = 0; j < 2; j++)
    {
        const int i = 2 * (lane + 32 * j);
        a[j][0] = a[j][1] = b[j][0] = b[j][1] = 0.f;
        if (i < half)
        {
            const u32 va = *(const u32*)(x + i), vb = *(const u32*)(x + i + half);
            a[j][0] = lo_f(va);
            a[j][1] = hi_f(va);
            b[j][0] = lo_f(vb);
            b[j][1] = hi_f(vb);
            ss += a[j][0] * a[j][0] + a[j][1] * a[j][1] + b[j][0] * b[j][0] + b[j][1] * b[j][1];
        }
    }
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
    const int pos = positions[t];
    bf16* dst = x;
    if (!is_q)
    {
        if (slot < 0) return;
        const int kvh = head - hq;
        dst = k_cache + (((size_t)(slot / block_size) * hkv + kvh) * block_size + slot % block_size) * d;
    }
    const float* cs = cos_sin + (size_t)pos * d;
#pragma unroll
    for (int j = 0; j < 2; j++)
    {
        const int i = 2 * (lane + 32 * j);
        if (i < half)
        {
            const float2 c = *(const float2*)(cs + i), sn = *(const float2*)(cs + half + i);
            *(u32*)(dst + i) = pack2(a[j][0] * c.x - b[j][0] * sn.x, a[j][1] * c.y - b[j][1] * sn.y);
            *(u32*)(dst + i + half) = pack2(b[j][0] * c.x + a[j][0] * sn.x, b[j][1] * c.y + a[j][1] * sn.y);
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

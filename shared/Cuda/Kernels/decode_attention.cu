// Paged attention for decode (one new query token per sequence), GQA-aware: one CTA per
// (sequence, kv head, context partition) computes every q head of the group, so each K/V byte is read once,
// in one pass with an online softmax.
// Contexts split over blockIdx.z partitions of `part` tokens (≤ PARTITION; the host picks smaller partitions when
// a small batch would leave SMs idle); decode_attention_reduce merges them.
//
// q:          [S, q_stride] (q of sequence s at row s; heads contiguous, d each)
// out:        [S, hq * d] when gridDim.z == 1, else partial_* are written and the reduce kernel writes out.
// caches:     [blocks, hkv, block_size, d]; block_tables [S, max_blocks]; context_lens [S] (0 = padding slot).
// Dynamic shared memory: DecodeSharedBytes on the host (q, per-warp partial sums and (max, sum) pairs).

#define DEC_THREADS 128
#define PARTITION 128
#define DEC_UNROLL 4

// A partition's block ids into shared memory, one table read each; returns the first one's index in the table. Block
// tables are step inputs, not an earlier kernel's output, so kernels call this before waiting for that kernel.
__device__ __forceinline__ int stage_partition_blocks(const int* __restrict__ block_tables, int max_blocks, int s, int start, int end,
                                                      int bs_shift, int* blk_s)
{
    const int first_blk = start >> bs_shift;
    const int nblk = end > start ? ((end - 1) >> bs_shift) - first_blk + 1 : 0;
    for (int i = threadIdx.x; i < nblk; i += DEC_THREADS) blk_s[i] = block_tables[(size_t)s * max_blocks + first_blk + i];
    return first_blk;
}

// Zeros of a KV head's G query heads: the output of a sequence with no context (a padding slot), unsplit launches.
__device__ __forceinline__ void zero_group_output(bf16* __restrict__ out, int s, int kvh, int hq, int G, int D)
{
    for (int i = threadIdx.x; i < G * D; i += DEC_THREADS) out[(size_t)s * hq * D + (size_t)kvh * G * D + i] = 0;
}

// The last step of both decode kernels: merge the 4 warps' online-softmax states (per-warp Σ p·v in `red`
// [4][G][D], (max, sum) pairs in `wml` [4][G][2]) and write the output, or this partition's partial for the reduce.
__device__ __forceinline__ void decode_merge_warps(const float* red, const float* wml, int G, int D, int s, int kvh, int hq,
                                                   int split, int nsplit, bf16* __restrict__ out,
                                                   float* __restrict__ partial_acc, float* __restrict__ partial_ml)
{
    for (int i = threadIdx.x; i < G * D; i += DEC_THREADS)
    {
        const int g = i / D, dd = i % D;
        float M = NEG_INF;
#pragma unroll
        for (int w = 0; w < DEC_THREADS / 32; w++) M = fmaxf(M, wml[(w * G + g) * 2]);
        float sum = 0.f, total = 0.f;
#pragma unroll
        for (int w = 0; w < DEC_THREADS / 32; w++)
        {
            const float mw = wml[(w * G + g) * 2];
            const float wt = mw == NEG_INF ? 0.f : __expf(mw - M);
            sum += red[(w * G + g) * D + dd] * wt;
            total += wml[(w * G + g) * 2 + 1] * wt;
        }
        const int h = kvh * G + g;
        if (nsplit == 1)
        {
            out[(size_t)s * hq * D + (size_t)h * D + dd] = f2bf(sum / total);
        }
        else
        {
            partial_acc[(((size_t)s * hq + h) * nsplit + split) * D + dd] = sum;
            if (dd == 0)
            {
                partial_ml[(((size_t)s * hq + h) * nsplit + split) * 2] = M;
                partial_ml[(((size_t)s * hq + h) * nsplit + split) * 2 + 1] = total;
            }
        }
    }
}

template <int D, int GMAX>
__device__ void decode_attention_impl(const bf16* __restrict__ q, int q_stride, bf16* __restrict__ out,
                                      float* __restrict__ partial_acc, float* __restrict__ partial_ml,
                                      const bf16* __restrict__ k_cache, const bf16* __restrict__ v_cache,
                                      const int* __restrict__ block_tables, int max_blocks,
                                      const int* __restrict__ context_lens, int hq, int hkv, int block_size, float scale, int part)
{
    constexpr int TPT = D / 8;                  // threads per token: each holds 8 dims (16 bytes)
    constexpr int TOK_PER_PASS = DEC_THREADS / TPT;
    // Tokens in flight per thread; wide groups need the registers. (Keeping K/V packed until used, for twice the
    // tokens in flight, took 164 registers and ran slower: bench/cuda/KERNELS.md, run 11.)
    constexpr int UNROLL = GMAX >= 8 ? 2 : DEC_UNROLL;
    extern __shared__ float smem[];
    const int G = hq / hkv;
    const int s = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z, nsplit = gridDim.z;
    const int tid = threadIdx.x;
    const int L = context_lens[s];
    const int start = split * part;
    const int end = min(L, start + part);
    const int n = end - start;

    // The partition's block ids, once, in shared memory: each token's address is then one shared read away. Block
    // tables are step inputs, not an earlier kernel's output, so they load before waiting for that kernel.
    __shared__ int blk_s[PARTITION + 1];
    // Block sizes are powers of two (the host checks): shifts, not divisions, in the address math.
    const int bs_shift = __ffs(block_size) - 1, bs_mask = block_size - 1;
    const int first_blk = stage_partition_blocks(block_tables, max_blocks, s, start, end, bs_shift, blk_s);
    dependent_launch_entry();

    if (n <= 0)
    {
        if (nsplit == 1) zero_group_output(out, s, kvh, hq, G, D);
        return;   // partitions past the end are ignored by the reduce kernel, which knows L
    }

    float* q_s = smem;                   // [G][D], pre-scaled
    float* red = q_s + GMAX * D;         // [4 warps][G][D] per-warp partial sums of p·v
    float* wml = red + 4 * GMAX * D;     // [4 warps][G][2] per-warp (max, sum)

    for (int i = tid; i < G * D; i += DEC_THREADS)
        q_s[i] = bf2f(q[(size_t)s * q_stride + (size_t)kvh * G * D + i]) * scale;

    const int c = tid % TPT;             // which 8 dims
    const int grp = tid / TPT;           // which token of each pass
    __syncthreads();

    // One pass with an online softmax per head: every thread group keeps its own running (max, sum, Σ p·v) and loads
    // each token's K and V together, so both are in flight at once and no score array or extra barrier is needed.
    float m[GMAX], l[GMAX], acc[GMAX][8];
    clear_softmax_state<GMAX>(m, l, acc);

    const int rounds = (n + TOK_PER_PASS - 1) / TOK_PER_PASS;   // the same for every thread: shuffles stay converged
    for (int r0 = 0; r0 < rounds; r0 += UNROLL)
    {
        uint4 kr[UNROLL], vr[UNROLL];
        int tt[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
        {
            tt[u] = start + (r0 + u) * TOK_PER_PASS + grp;
            kr[u] = vr[u] = make_uint4(0, 0, 0, 0);
            if (tt[u] < end)
            {
                const int blk = blk_s[(tt[u] >> bs_shift) - first_blk];
                const size_t off = ((((size_t)blk * hkv + kvh) << bs_shift) + (tt[u] & bs_mask)) * D + c * 8;
                kr[u] = *(const uint4*)(k_cache + off);
                vr[u] = *(const uint4*)(v_cache + off);
            }
        }
        // Every 16-byte load is issued before any is unpacked to fp32.
        float k[UNROLL][8], v[UNROLL][8];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
        {
            unpack8(kr[u], k[u]);
            unpack8(vr[u], v[u]);
        }
#pragma unroll
        for (int g = 0; g < GMAX; g++)
        {
            if (g < G)
            {
                const float* qg = q_s + g * D + c * 8;
                float sc[UNROLL];
                float mx = m[g];
#pragma unroll
                for (int u = 0; u < UNROLL; u++)
                {
                    float p = 0.f;
#pragma unroll
                    for (int j = 0; j < 8; j++) p += qg[j] * k[u][j];
#pragma unroll
                    for (int o = TPT / 2; o > 0; o >>= 1) p += __shfl_xor_sync(0xffffffffu, p, o);
                    sc[u] = tt[u] < end ? p : NEG_INF;
                    mx = fmaxf(mx, sc[u]);
                }
                if (mx != NEG_INF)
                {
                    const float alpha = __expf(m[g] - mx);   // 0 while nothing was seen (m = -inf)
                    l[g] *= alpha;
#pragma unroll
                    for (int j = 0; j < 8; j++) acc[g][j] *= alpha;
#pragma unroll
                    for (int u = 0; u < UNROLL; u++)
                    {
                        const float p = __expf(sc[u] - mx);
                        l[g] += p;
#pragma unroll
                        for (int j = 0; j < 8; j++) acc[g][j] += p * v[u][j];
                    }
                    m[g] = mx;
                }
            }
        }
    }

    // Merge the thread groups of each warp (same dims, other tokens), then the warps through shared memory.
    store_warp_softmax_state<GMAX, TPT>(m, l, acc, G, D, red, wml);
    __syncthreads();
    decode_merge_warps(red, wml, G, D, s, kvh, hq, split, nsplit, out, partial_acc, partial_ml);
}

#define DECODE_KERNEL(D, G)                                                                                          \
    extern "C" __global__ void __launch_bounds__(DEC_THREADS) decode_attention_d##D##_g##G(                         \
        const bf16* q, int q_stride, bf16* out, float* partial_acc, float* partial_ml, const bf16* k_cache,          \
        const bf16* v_cache, const int* block_tables, int max_blocks, const int* context_lens, int hq, int hkv,      \
        int block_size, float scale, int part)                                                                       \
    {                                                                                                                \
        decode_attention_impl<D, G>(q, q_stride, out, partial_acc, partial_ml, k_cache, v_cache, block_tables,       \
                                    max_blocks, context_lens, hq, hkv, block_size, scale, part);                     \
    }

DECODE_KERNEL(16, 1) DECODE_KERNEL(16, 2) DECODE_KERNEL(16, 4) DECODE_KERNEL(16, 8) DECODE_KERNEL(16, 16)
DECODE_KERNEL(32, 1) DECODE_KERNEL(32, 2) DECODE_KERNEL(32, 4) DECODE_KERNEL(32, 8) DECODE_KERNEL(32, 16)
DECODE_KERNEL(64, 1) DECODE_KERNEL(64, 2) DECODE_KERNEL(64, 4) DECODE_KERNEL(64, 8) DECODE_KERNEL(64, 16)
DECODE_KERNEL(128, 1) DECODE_KERNEL(128, 2) DECODE_KERNEL(128, 4) DECODE_KERNEL(128, 8) DECODE_KERNEL(128, 16)
DECODE_KERNEL(256, 1) DECODE_KERNEL(256, 2) DECODE_KERNEL(256, 4) DECODE_KERNEL(256, 8)

// Merges the partitions of each (sequence, q head): rescale each partial by exp(m_i - M), divide by the total sum.
extern "C" __global__ void decode_attention_reduce(const float* __restrict__ partial_acc, const float* __restrict__ partial_ml,
                                                   const int* __restrict__ context_lens, bf16* __restrict__ out,
                                                   int hq, int d, int nsplit, int part)
{
    early_dependent_launch_entry();
    const int s = blockIdx.x, h = blockIdx.y;
    const int L = context_lens[s];
    const int valid = min(nsplit, (L + part - 1) / part);
    const float* ml = partial_ml + ((size_t)s * hq + h) * nsplit * 2;
    float M = NEG_INF;
    for (int i = 0; i < valid; i++) M = fmaxf(M, ml[2 * i]);
    float total = 0.f;
    for (int i = 0; i < valid; i++) total += ml[2 * i + 1] * __expf(ml[2 * i] - M);
    for (int dd = threadIdx.x; dd < d; dd += blockDim.x)
    {
        float acc = 0.f;
        for (int i = 0; i < valid; i++)
            acc += partial_acc[(((size_t)s * hq + h) * nsplit + i) * d + dd] * __expf(ml[2 * i] - M);
        out[(size_t)s * hq * d + (size_t)h * d + dd] = valid > 0 ? f2bf(acc / total) : (bf16)0;
    }
}

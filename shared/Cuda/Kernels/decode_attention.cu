// Paged attention for decode (one new query token per sequence), GQA-aware: one CTA per
// (sequence, kv head, context partition) computes every q head of the group, so each K/V byte is read once.
// Contexts split over blockIdx.z partitions of `part` tokens (≤ PARTITION; the host picks smaller partitions when
// a small batch would leave SMs idle); decode_attention_reduce merges them.
//
// q:          [S, q_stride] (q of sequence s at row s; heads contiguous, d each)
// out:        [S, hq * d] when gridDim.z == 1, else partial_* are written and the reduce kernel writes out.
// caches:     [blocks, hkv, block_size, d]; block_tables [S, max_blocks]; context_lens [S] (0 = padding slot).
// Dynamic shared memory: see decode_smem_bytes on the host (q, scores, cross-warp reduction).

#define DEC_THREADS 128
#define PARTITION 128
#define DEC_UNROLL 4

template <int D, int GMAX>
__device__ void decode_attention_impl(const bf16* __restrict__ q, int q_stride, bf16* __restrict__ out,
                                      float* __restrict__ partial_acc, float* __restrict__ partial_ml,
                                      const bf16* __restrict__ k_cache, const bf16* __restrict__ v_cache,
                                      const int* __restrict__ block_tables, int max_blocks,
                                      const int* __restrict__ context_lens, int hq, int hkv, int block_size, float scale, int part)
{
    constexpr int TPT = D / 8;                  // threads per token: each holds 8 dims (16 bytes)
    constexpr int TOK_PER_PASS = DEC_THREADS / TPT;
    extern __shared__ float smem[];
    const int G = hq / hkv;
    const int s = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z, nsplit = gridDim.z;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int L = context_lens[s];
    const int start = split * part;
    const int end = min(L, start + part);
    const int n = end - start;

    if (n <= 0)
    {
        if (nsplit == 1)
            for (int i = tid; i < G * D; i += DEC_THREADS) out[(size_t)s * hq * D + (size_t)kvh * G * D + i] = 0;
        return;   // partitions past the end are ignored by the reduce kernel, which knows L
    }

    float* q_s = smem;                   // [G][D], pre-scaled
    float* scores = q_s + GMAX * D;      // [G][PARTITION]
    float* ml = scores + GMAX * PARTITION; // [G][2] max, sum
    float* red = ml + 2 * GMAX;          // [4 warps][G][D]

    for (int i = tid; i < G * D; i += DEC_THREADS)
        q_s[i] = bf2f(q[(size_t)s * q_stride + (size_t)kvh * G * D + i]) * scale;
    __syncthreads();

    const int c = tid % TPT;             // which 8 dims
    // The partition's block ids, once, in shared memory: each token's address is then one shared read away
    // instead of a dependent global load.
    __shared__ int blk_s[PARTITION + 1];
    const int first_blk = start / block_size;
    const int nblk = (end - 1) / block_size - first_blk + 1;
    for (int i = tid; i < nblk; i += DEC_THREADS) blk_s[i] = block_tables[(size_t)s * max_blocks + first_blk + i];
    __syncthreads();

    // Phase 1: scores for every token of the partition and every head of the group. Each thread loads
    // DEC_UNROLL tokens before using any, so several 16-byte loads are in flight (decode is latency-bound).
    const int rounds = (n + TOK_PER_PASS - 1) / TOK_PER_PASS;   // the same for every thread: shuffles stay converged
    for (int r0 = 0; r0 < rounds; r0 += DEC_UNROLL)
    {
        float k[DEC_UNROLL][8];
        int tt[DEC_UNROLL];
#pragma unroll
        for (int u = 0; u < DEC_UNROLL; u++)
        {
            tt[u] = start + (r0 + u) * TOK_PER_PASS + tid / TPT;
            if (tt[u] < end)
            {
                const int blk = blk_s[tt[u] / block_size - first_blk];
                unpack8(*(const uint4*)(k_cache + (((size_t)blk * hkv + kvh) * block_size + tt[u] % block_size) * D + c * 8), k[u]);
            }
            else
            {
#pragma unroll
                for (int j = 0; j < 8; j++) k[u][j] = 0.f;
            }
        }
#pragma unroll
        for (int u = 0; u < DEC_UNROLL; u++)
        {
            if (r0 + u < rounds)
            {
#pragma unroll
                for (int g = 0; g < GMAX; g++)
                {
                    if (g < G)
                    {
                        const float* qg = q_s + g * D + c * 8;
                        float p = 0.f;
#pragma unroll
                        for (int j = 0; j < 8; j++) p += qg[j] * k[u][j];
#pragma unroll
                        for (int o = TPT / 2; o > 0; o >>= 1) p += __shfl_xor_sync(0xffffffffu, p, o);
                        if (tt[u] < end && c == 0) scores[g * PARTITION + (tt[u] - start)] = p;
                    }
                }
            }
        }
    }
    __syncthreads();

    // Phase 2: softmax numerators per head, one warp per head.
    for (int g = warp; g < G; g += DEC_THREADS / 32)
    {
        float* sg = scores + g * PARTITION;
        float m = NEG_INF;
        for (int i = lane; i < n; i += 32) m = fmaxf(m, sg[i]);
        m = warp_max(m);
        float l = 0.f;
        for (int i = lane; i < n; i += 32)
        {
            const float e = __expf(sg[i] - m);
            sg[i] = e;
            l += e;
        }
        l = warp_sum(l);
        if (lane == 0)
        {
            ml[2 * g] = m;
            ml[2 * g + 1] = l;
        }
    }
    __syncthreads();

    // Phase 3: weighted sum of V; each thread accumulates its 8 dims for every head over its tokens.
    float acc[GMAX][8];
#pragma unroll
    for (int g = 0; g < GMAX; g++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[g][j] = 0.f;
    for (int t0 = start + tid / TPT; t0 < end; t0 += DEC_UNROLL * TOK_PER_PASS)
    {
        float v[DEC_UNROLL][8];
#pragma unroll
        for (int u = 0; u < DEC_UNROLL; u++)
        {
            const int t = t0 + u * TOK_PER_PASS;
            if (t < end)
            {
                const int blk = blk_s[t / block_size - first_blk];
                unpack8(*(const uint4*)(v_cache + (((size_t)blk * hkv + kvh) * block_size + t % block_size) * D + c * 8), v[u]);
            }
        }
#pragma unroll
        for (int u = 0; u < DEC_UNROLL; u++)
        {
            const int t = t0 + u * TOK_PER_PASS;
            if (t < end)
            {
#pragma unroll
                for (int g = 0; g < GMAX; g++)
                {
                    if (g < G)
                    {
                        const float p = scores[g * PARTITION + (t - start)];
#pragma unroll
                        for (int j = 0; j < 8; j++) acc[g][j] += p * v[u][j];
                    }
                }
            }
        }
    }
    // Tokens were spread over the thread groups of a warp, then over warps: fold both.
#pragma unroll
    for (int o = 16; o >= TPT; o >>= 1)
#pragma unroll
        for (int g = 0; g < GMAX; g++)
#pragma unroll
            for (int j = 0; j < 8; j++) acc[g][j] += __shfl_xor_sync(0xffffffffu, acc[g][j], o);
    if (lane < TPT)
    {
#pragma unroll
        for (int g = 0; g < GMAX; g++)
            if (g < G)
#pragma unroll
                for (int j = 0; j < 8; j++) red[(warp * G + g) * D + c * 8 + j] = acc[g][j];
    }
    __syncthreads();
    for (int i = tid; i < G * D; i += DEC_THREADS)
    {
        const int g = i / D, dd = i % D;
        float sum = 0.f;
#pragma unroll
        for (int w = 0; w < DEC_THREADS / 32; w++) sum += red[(w * G + g) * D + dd];
        const int h = kvh * G + g;
        if (nsplit == 1)
        {
            out[(size_t)s * hq * D + (size_t)h * D + dd] = f2bf(sum / ml[2 * g + 1]);
        }
        else
        {
            partial_acc[(((size_t)s * hq + h) * nsplit + split) * D + dd] = sum;
            if (dd == 0)
            {
                partial_ml[(((size_t)s * hq + h) * nsplit + split) * 2] = ml[2 * g];
                partial_ml[(((size_t)s * hq + h) * nsplit + split) * 2 + 1] = ml[2 * g + 1];
            }
        }
    }
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

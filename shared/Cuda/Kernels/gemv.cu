// Skinny GEMM for decode (M <= 8 rows): y[m, n] = x[m, :] . w[n, :] (+ bias[n]). Bound by reading W once, so
// one warp streams one weight row with 16-byte loads and reuses it for every input row; x stays in L1.
// Output bf16, or fp32 for logits. grid: ceil(N / warps per CTA), block 256 (or 128).
//
// The kernels keep registers low (30 at M = 1: 8 CTAs of 256 threads per SM) and rely on occupancy to keep loads in
// flight; on the H200 that beat software-pipelined designs (2/4/8 loads a lane in flight), which fit fewer CTAs so the
// grid runs in more waves, and an L2 prefetch of each row before the grid wait (bench/cuda/KERNELS.md, runs 9-12).

// The production design: few registers, occupancy keeps loads in flight. With SPLIT = 2 two warps share a row, each
// streaming one contiguous half of it, and add their sums through shared memory: narrow matrices (N < 8192 rows)
// otherwise give too few warps per SM to cover the memory latency (down_proj: 31 of 64).
template <int MMAX, int UNROLL, int SPLIT>
__device__ __forceinline__ void gemv_flat_impl(const bf16* __restrict__ x, const bf16* __restrict__ w, const bf16* __restrict__ bias,
                                               void* __restrict__ y, int M, int N, int K, int out_f32)
{
    dependent_launch_entry();
    __shared__ float part[SPLIT > 1 ? 8 * MMAX : 1];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int n = blockIdx.x * ((blockDim.x / 32) / SPLIT) + warp / SPLIT;
    const int piece = warp % SPLIT;
    const bool live = n < N;
    float acc[MMAX];
#pragma unroll
    for (int m = 0; m < MMAX; m++) acc[m] = 0.f;
    if (live)
    {
        const bf16* wr = w + (size_t)n * K;
        if ((K & 7) != 0)
        {
            for (int i = lane + piece * 32; i < K; i += 32 * SPLIT)
            {
                const float wv = bf2f(wr[i]);
#pragma unroll
                for (int m = 0; m < MMAX; m++)
                    if (m < M) acc[m] += wv * bf2f(x[(size_t)m * K + i]);
            }
        }
        else
        {
            const uint4* w4 = (const uint4*)wr;
            const int k8 = K / 8;
            const int per = (k8 + SPLIT - 1) / SPLIT;
            const int end = min(k8, (piece + 1) * per);
#pragma unroll UNROLL
            for (int i = piece * per + lane; i < end; i += 32)
            {
                float wf[8];
                unpack8(__ldg(w4 + i), wf);
#pragma unroll
                for (int m = 0; m < MMAX; m++)
                {
                    if (m < M)
                    {
                        float xf[8];
                        unpack8(((const uint4*)(x + (size_t)m * K))[i], xf);
#pragma unroll
                        for (int j = 0; j < 8; j++) acc[m] += wf[j] * xf[j];
                    }
                }
            }
        }
    }
#pragma unroll
    for (int m = 0; m < MMAX; m++) acc[m] = warp_sum(acc[m]);
    if (SPLIT > 1)
    {
        if (lane == 0)
#pragma unroll
            for (int m = 0; m < MMAX; m++) part[warp * MMAX + m] = acc[m];
        __syncthreads();
        if (piece != 0) return;
#pragma unroll
        for (int m = 0; m < MMAX; m++)
        {
            float v = 0.f;
#pragma unroll
            for (int p = 0; p < SPLIT; p++) v += part[(warp + p) * MMAX + m];
            acc[m] = v;
        }
    }
    if (!live || lane != 0) return;
    const float b = bias != 0 ? bf2f(bias[n]) : 0.f;
#pragma unroll
    for (int m = 0; m < MMAX; m++)
    {
        if (m < M)
        {
            const float v = acc[m] + b;
            if (out_f32) ((float*)y)[(size_t)m * N + n] = v;
            else ((bf16*)y)[(size_t)m * N + n] = f2bf(v);
        }
    }
}

#define GEMV_FLAT_KERNEL(NAME, MMAX, SPLIT)                                                                      \
    extern "C" __global__ void __launch_bounds__(256) NAME(const bf16* x, const bf16* w, const bf16* bias,      \
                                                           void* y, int M, int N, int K, int out_f32)          \
    {                                                                                                          \
        gemv_flat_impl<MMAX, 8, SPLIT>(x, w, bias, y, M, N, K, out_f32);                                       \
    }

GEMV_FLAT_KERNEL(gemv_m1, 1, 1)
GEMV_FLAT_KERNEL(gemv_m2, 2, 1)
GEMV_FLAT_KERNEL(gemv_m4, 4, 1)
GEMV_FLAT_KERNEL(gemv_m8, 8, 1)
GEMV_FLAT_KERNEL(gemv_m1_s2, 1, 2)
GEMV_FLAT_KERNEL(gemv_m2_s2, 2, 2)
GEMV_FLAT_KERNEL(gemv_m4_s2, 4, 2)
GEMV_FLAT_KERNEL(gemv_m8_s2, 8, 2)

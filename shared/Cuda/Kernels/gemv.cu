// Skinny GEMM for decode (M <= 8 rows): y[m, n] = x[m, :] . w[n, :] (+ bias[n]). Bound by reading W once, so
// one warp streams one weight row with 16-byte loads (several in flight per lane) and reuses it for every
// input row; x stays in L1. Output bf16, or fp32 for logits.
// grid: ceil(N / 8), block 256.

template <int MMAX>
__device__ void gemv_impl(const bf16* __restrict__ x, const bf16* __restrict__ w, const bf16* __restrict__ bias,
                          void* __restrict__ y, int M, int N, int K, int out_f32)
{
    const int lane = threadIdx.x & 31;
    const int n = blockIdx.x * (blockDim.x / 32) + (threadIdx.x >> 5);
    if (n >= N) return;
    const bf16* wr = w + (size_t)n * K;
    float acc[MMAX];
#pragma unroll
    for (int m = 0; m < MMAX; m++) acc[m] = 0.f;
    if ((K & 7) == 0)
    {
        const uint4* w4 = (const uint4*)wr;
        const int k8 = K / 8;
#pragma unroll 8
        for (int i = lane; i < k8; i += 32)
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
    else
    {
        for (int i = lane; i < K; i += 32)
        {
            const float wv = bf2f(wr[i]);
#pragma unroll
            for (int m = 0; m < MMAX; m++)
                if (m < M) acc[m] += wv * bf2f(x[(size_t)m * K + i]);
        }
    }
    const float b = bias != 0 ? bf2f(bias[n]) : 0.f;
#pragma unroll
    for (int m = 0; m < MMAX; m++)
    {
        const float v = warp_sum(acc[m]) + b;
        if (lane == 0 && m < M)
        {
            if (out_f32) ((float*)y)[(size_t)m * N + n] = v;
            else ((bf16*)y)[(size_t)m * N + n] = f2bf(v);
        }
    }
}

#define GEMV_KERNEL(MMAX)                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) gemv_m##MMAX(const bf16* x, const bf16* w, const bf16* bias, \
                                                                  void* y, int M, int N, int K, int out_f32)      \
    {                                                                                                              \
        gemv_impl<MMAX>(x, w, bias, y, M, N, K, out_f32);                                                          \
    }

GEMV_KERNEL(1)
GEMV_KERNEL(2)
GEMV_KERNEL(4)
GEMV_KERNEL(8)

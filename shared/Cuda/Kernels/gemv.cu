// Skinny GEMM for decode (M <= 8 rows): y[m, n] = x[m, :] . w[n, :] (+ bias[n]). Bound by reading W once, so
// one warp streams one weight row with 16-byte loads and reuses it for every input row; x stays in L1.
// grid: ceil(N / rows per CTA), block 256.
//
// The kernels keep registers low (30 at M = 1: 8 CTAs of 256 threads per SM) and rely on occupancy to keep loads in
// flight; on the H200 that beat software-pipelined designs (2/4/8 loads a lane in flight), which fit fewer CTAs so the
// grid runs in more waves, and an L2 prefetch of each row before the grid wait (bench/cuda/KERNELS.md, runs 9-12).
//
// Small decode steps are latency-bound between kernels, so gate_up's GEMV also applies SiLU-and-mul, bit-identical to
// the two unfused kernels (the same sums in the same order, the same bf16 roundings; bench/CudaCheck checks it).
// Fusing the RMSNorms into a GEMV prologue and the residual adds into epilogues was measured too and dropped: every
// CTA re-normalizing the input cost more than the norm kernel it saved (bench/cuda/KERNELS.md, run 16).

// Epilogues.
#define GEMV_STORE 0 // y = x.w^T + bias: bf16, or fp32 with out_f32 (logits)
#define GEMV_SILU 1  // w is [gate | up] (2N rows): y[:, n] = silu(bf16(gate_n)) * bf16(up_n), i.e. Linear then silu_and_mul

// acc[m] += w8 . x[m, 8i .. 8i + 7] for the step's rows.
template <int MMAX>
__device__ __forceinline__ void gemv_accumulate(float (&acc)[MMAX], uint4 w8, const bf16* __restrict__ x, int M, int K, int i)
{
    float wf[8];
    unpack8(w8, wf);
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

// SPLIT = 2: two warps share a row, each streaming one contiguous half, and add their sums through shared memory:
// narrow matrices (N < 8192 rows) otherwise give too few warps per SM to cover the memory latency (down_proj: 31 of 64).
// GEMV_SILU gives each output column the warps of two weight rows, the gate row's and the up row's (each row split as
// the unfused GEMV would split the [gate | up] matrix, so the sums match it).
template <int MMAX, int SPLIT, int EPI>
__device__ __forceinline__ void gemv_impl(const bf16* __restrict__ x, const bf16* __restrict__ w, const bf16* __restrict__ bias,
                                          void* __restrict__ y, int M, int N, int K, int out_f32, int prefetch)
{
    // Warps a row pair: SPLIT halves of each row, and with PAIR the gate row's warps then the up row's.
    constexpr bool PAIR = EPI == GEMV_SILU;
    constexpr int PIECES = (PAIR ? 2 : 1) * SPLIT;
    __shared__ float part[PIECES > 1 ? 8 * MMAX : 1];
    // [warp][load][lane], prefetch loads a lane: dynamic, so a launch without prefetch costs no occupancy.
    extern __shared__ uint4 staged[];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int n = blockIdx.x * (8 / PIECES) + warp / PIECES;
    const int piece = warp % PIECES;
    const int half = piece % SPLIT;
    const bool live = n < N;
    const bf16* wr = w + (size_t)(PAIR ? n + (piece / SPLIT) * N : n) * K;
    const int k8 = K / 8;
    const int per = (k8 + SPLIT - 1) / SPLIT;
    const int first = half * per + lane;
    const int end = min(k8, (half + 1) * per);

    // The weights never depend on an earlier kernel, so this warp's first 16-byte loads of its row go out before the
    // grid wait: launched early by programmatic dependent launch, the GEMV streams weights while the norm, RoPE or
    // attention kernel before it (latency-bound, the memory idle) still runs. Each lane reads back only its own slots,
    // so no CTA barrier is needed; the sums keep their order, so the result is the same bit for bit.
    const int staged_count = live && (K & 7) == 0 && end > first ? min(prefetch, (end - first + 31) / 32) : 0;
    if (prefetch > 0) allow_dependents();
    for (int p = 0; p < staged_count; p++)
        cp_async16(smem_addr(&staged[(warp * prefetch + p) * 32 + lane]), (const uint4*)wr + first + p * 32, 16);
    cp_async_commit();
    grid_dependency_wait();
    if (prefetch == 0) allow_dependents();

    float acc[MMAX];
#pragma unroll
    for (int m = 0; m < MMAX; m++) acc[m] = 0.f;
    if (live)
    {
        if ((K & 7) != 0)
        {
            for (int i = lane + half * 32; i < K; i += 32 * SPLIT)
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
            int i = first;
            if (staged_count > 0)
            {
                cp_async_wait_all();
                for (int p = 0; p < staged_count; p++, i += 32) gemv_accumulate<MMAX>(acc, staged[(warp * prefetch + p) * 32 + lane], x, M, K, i);
            }
#pragma unroll 8
            for (; i < end; i += 32) gemv_accumulate<MMAX>(acc, __ldg(w4 + i), x, M, K, i);
        }
    }
#pragma unroll
    for (int m = 0; m < MMAX; m++) acc[m] = warp_sum(acc[m]);
    // PAIR: the up row's sum, read by the gate row's first warp.
    float other[MMAX];
#pragma unroll
    for (int m = 0; m < MMAX; m++) other[m] = 0.f;
    if (PIECES > 1)
    {
        if (lane == 0)
#pragma unroll
            for (int m = 0; m < MMAX; m++) part[warp * MMAX + m] = acc[m];
        __syncthreads();
        if (piece != 0) return;
#pragma unroll
        for (int m = 0; m < MMAX; m++)
        {
            // Sums of halves start from 0 as the unfused kernel's do; a whole row's sum is taken as it is.
            if (SPLIT > 1)
            {
                float v = 0.f, u = 0.f;
#pragma unroll
                for (int p = 0; p < SPLIT; p++)
                {
                    v += part[(warp + p) * MMAX + m];
                    if (PAIR) u += part[(warp + SPLIT + p) * MMAX + m];
                }
                acc[m] = v;
                other[m] = u;
            }
            else if (PAIR) other[m] = part[(warp + 1) * MMAX + m];
        }
    }
    if (!live || lane != 0) return;
    const float b = bias != 0 ? bf2f(bias[n]) : 0.f;
#pragma unroll
    for (int m = 0; m < MMAX; m++)
    {
        if (m < M)
        {
            const size_t at = (size_t)m * N + n;
            if (EPI == GEMV_SILU)
            {
                const float gv = bf2f(f2bf(acc[m])), uv = bf2f(f2bf(other[m]));
                ((bf16*)y)[at] = f2bf(gv / (1.f + __expf(-gv)) * uv);
            }
            else if (out_f32) ((float*)y)[at] = acc[m] + b;
            else ((bf16*)y)[at] = f2bf(acc[m] + b);
        }
    }
}

// CTAs an SM the registers must allow: 8 at M <= 2 (2048 threads; the staging loop took M = 1 from 30 registers to 38
// and 6 CTAs, run 37), and session 9's occupancy above (4 at M = 4, 2 at M = 8: 64 / 128 registers, run 38). A bound
// of 1 let the compiler take 140 / 204 registers for 1 CTA an SM, and batch 4 went from 5.9 to 8.2 ms (run 39).
#define GEMV_KERNEL(NAME, MMAX, SPLIT, EPI)                                                                       \
    extern "C" __global__ void __launch_bounds__(256, MMAX <= 2 ? 8 : MMAX == 4 ? 4 : 2) NAME(const bf16* x, const bf16* w, const bf16* bias, void* y, \
                                                           int M, int N, int K, int out_f32, int prefetch)         \
    {                                                                                                             \
        gemv_impl<MMAX, SPLIT, EPI>(x, w, bias, y, M, N, K, out_f32, prefetch);                                   \
    }

GEMV_KERNEL(gemv_m1, 1, 1, GEMV_STORE)
GEMV_KERNEL(gemv_m2, 2, 1, GEMV_STORE)
GEMV_KERNEL(gemv_m4, 4, 1, GEMV_STORE)
GEMV_KERNEL(gemv_m8, 8, 1, GEMV_STORE)
GEMV_KERNEL(gemv_m1_s2, 1, 2, GEMV_STORE)
GEMV_KERNEL(gemv_m2_s2, 2, 2, GEMV_STORE)
GEMV_KERNEL(gemv_m4_s2, 4, 2, GEMV_STORE)
GEMV_KERNEL(gemv_m8_s2, 8, 2, GEMV_STORE)
// gate_up then SiLU-and-mul.
GEMV_KERNEL(gemv_silu_m1, 1, 1, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m2, 2, 1, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m4, 4, 1, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m8, 8, 1, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m1_s2, 1, 2, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m2_s2, 2, 2, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m4_s2, 4, 2, GEMV_SILU)
GEMV_KERNEL(gemv_silu_m8_s2, 8, 2, GEMV_SILU)

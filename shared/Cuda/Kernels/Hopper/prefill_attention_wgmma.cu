// Prefill / chunked-prefill attention on Hopper's warpgroup MMAs (wgmma, sm_90a). Its own NVRTC module (common.cuh,
// prefill_attention.cu and this file, compiled for sm_90a), loaded only when asked for (LLMSERVE_CUDA_WGMMA=1), so a
// part or driver without it loses nothing else. Same algorithm, grid, K/V pipeline and softmax as
// prefill_attention_pipe_d*: prefill_attention_impl with another tile policy.
//
// Why: mma.sync reads every K and V fragment through ldmatrix into each warp's registers (16 query rows a warp), so
// the mma.sync kernel is bound by shared-memory reads and issue at ~25% of the tensor-core rate (bench/cuda/KERNELS.md).
// A wgmma reads B (K for S = Q K^T, V for O += P V) from shared memory once for the warpgroup's 64 rows, with A (Q, then
// P) from registers in the very fragment layout the mma.sync code already holds.
//
// Layout: a 64-key tile of K or V is stored as 8 x 8 "core matrices" of 128 contiguous bytes (8 keys x 8 dims, key rows
// of 16 bytes): element (key, dim) at (key / 8) * 8D + (dim / 8) * 64 + (key % 8) * 8. For S, B = K^T is K-major
// (dims contiguous for each key): leading byte offset (next 8 dims) 128, stride byte offset (next 8 keys) 16 D. For
// O += P V, B = V is MN-major (dims contiguous, transposed in wgmma's terms): leading (next 8 keys) 16 D, stride
// (next 8 dims) 128. No swizzle.

// Shared-memory matrix descriptor: start address, leading and stride byte offsets (all >> 4), no swizzle.
__device__ __forceinline__ unsigned long long wgmma_desc(const void* p, int leading, int stride)
{
    return (unsigned long long)((smem_addr(p) & 0x3FFFFu) >> 4) | ((unsigned long long)(leading >> 4) << 16) |
           ((unsigned long long)(stride >> 4) << 32);
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }

__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }

__device__ __forceinline__ void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }

// Shared memory written through the generic proxy (cp.async) becomes visible to the async proxy (wgmma).
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// Keeps the compiler from moving accumulator registers across an in-flight wgmma.
template <int N>
__device__ __forceinline__ void wgmma_pin(float (&d)[N][4])
{
#pragma unroll
    for (int j = 0; j < N; j++)
#pragma unroll
        for (int e = 0; e < 4; e++) asm volatile("" : "+f"(d[j][e])::"memory");
}

// d[64 x N] += a[64 x 16] x b[16 x N]: a from registers (this warp's 16 rows, mma.sync's A fragment), b by descriptor;
// trans-b 0: b K-major, 1: b MN-major. d[j][e] is mma.sync's accumulator layout of 8-column tile j.
__device__ __forceinline__ void wgmma_m64n64_kmajor(float (&d)[8][4], u32 a0, u32 a1, u32 a2, u32 a3, unsigned long long b)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, 0;\n}\n"
                 : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]),
                   "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]),
                   "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
                   "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]),
                   "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]),
                   "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),
                   "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]),
                   "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b), "r"(1));
}

__device__ __forceinline__ void wgmma_m64n64_mnmajor(float (&d)[8][4], u32 a0, u32 a1, u32 a2, u32 a3, unsigned long long b)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, 1;\n}\n"
                 : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]),
                   "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]),
                   "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
                   "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]),
                   "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]),
                   "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),
                   "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]),
                   "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b), "r"(1));
}

__device__ __forceinline__ void wgmma_m64n128_mnmajor(float (&d)[16][4], u32 a0, u32 a1, u32 a2, u32 a3, unsigned long long b)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
                 : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]),
                   "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]),
                   "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
                   "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]),
                   "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]),
                   "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),
                   "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]),
                   "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]),
                   "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]),
                   "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]),
                   "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]),
                   "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]),
                   "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]),
                   "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]),
                   "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]),
                   "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b), "r"(1));
}

// The wgmma tile policy for prefill_attention_impl: the core-matrix layout above, copied so that eight consecutive
// lanes fill one core matrix (chunk i: key 8 * ((i / 8) / (D / 8)) + i % 8, 8-dim column (i / 8) % (D / 8)).
struct PrefillWgmmaTile
{
    template <int D>
    __host__ __device__ __forceinline__ static constexpr int elems() { return PF_N * D; }

    template <int D>
    __device__ __forceinline__ static int key(int i) { return ((i >> 3) / (D / 8)) * 8 + (i & 7); }

    template <int D>
    __device__ __forceinline__ static int chunk(int i) { return (i >> 3) % (D / 8); }

    template <int D>
    __device__ __forceinline__ static int offset(int key, int c) { return (key >> 3) * (8 * D) + c * 64 + (key & 7) * 8; }

    template <int D>
    __device__ __forceinline__ static void run(const bf16* Ks, const bf16* Vs, int kb, int ctx, int base_pos, int m0, int pos0, int pos1, float sl2,
                               const u32 (&qf)[D / 16][4], float (&o)[D / 8][4], float& m_a, float& m_b, float& l_a, float& l_b)
    {
        static_assert(D == 64 || D == 128, "wgmma prefill: head sizes 64 and 128");
        // The tile's copies (waited for by every thread) reach the async proxy before any warp's wgmma reads them.
        fence_proxy_async();
        __syncthreads();

        float sc[PF_N / 8][4];
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++) sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
        wgmma_pin(sc);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++)
            wgmma_m64n64_kmajor(sc, qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], wgmma_desc(Ks + kk * 128, 128, 16 * D));
        wgmma_commit();
        wgmma_wait_all();
        wgmma_pin(sc);

        u32 pf[PF_N / 8][2];
        prefill_softmax<D / 8>(sc, kb, ctx, base_pos, m0, pos0, pos1, sl2, o, m_a, m_b, l_a, l_b, pf);

        wgmma_pin(o);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < PF_N / 16; kk++)
        {
            const unsigned long long b = wgmma_desc(Vs + kk * 16 * D, 16 * D, 128);
            if constexpr (D == 128)
                wgmma_m64n128_mnmajor(o, pf[2 * kk][0], pf[2 * kk][1], pf[2 * kk + 1][0], pf[2 * kk + 1][1], b);
            else
                wgmma_m64n64_mnmajor(o, pf[2 * kk][0], pf[2 * kk][1], pf[2 * kk + 1][0], pf[2 * kk + 1][1], b);
        }
        wgmma_commit();
        wgmma_wait_all();
        wgmma_pin(o);
    }
};

#define PREFILL_WGMMA_KERNEL(NAME, D)                                                                               \
    extern "C" __global__ void __launch_bounds__(128) NAME(                                                         \
        const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables, \
        int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)     \
    {                                                                                                               \
        prefill_attention_impl<D, 4, true, PrefillWgmmaTile>(q, q_stride, out, k_cache, v_cache, block_tables,     \
                                                             max_blocks, cu_q, context_lens, hq, hkv, block_size,  \
                                                             scale);                                               \
    }

PREFILL_WGMMA_KERNEL(prefill_attention_wgmma_d64, 64)
PREFILL_WGMMA_KERNEL(prefill_attention_wgmma_d128, 128)

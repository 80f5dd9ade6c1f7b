// Shared by every kernel file (prepended once by KernelSources). No system headers: NVRTC compiles this
// stand-alone, so bf16 is carried as its bit pattern and converted by hand; math is fp32.
typedef unsigned short bf16;
typedef unsigned int u32;

#define WARP 32
#define NEG_INF (-__int_as_float(0x7f800000))

__device__ __forceinline__ float bf2f(bf16 x) { return __uint_as_float(((u32)x) << 16); }

// Round to nearest even, NaN kept quiet: the same rounding the CPU reference uses.
__device__ __forceinline__ bf16 f2bf(float f)
{
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

__device__ __forceinline__ u32 pack2(float lo, float hi)
{
    u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

__device__ __forceinline__ float lo_f(u32 v) { return __uint_as_float(v << 16); }
__device__ __forceinline__ float hi_f(u32 v) { return __uint_as_float(v & 0xffff0000u); }

__device__ __forceinline__ void unpack8(uint4 v, float* f)
{
    f[0] = lo_f(v.x); f[1] = hi_f(v.x); f[2] = lo_f(v.y); f[3] = hi_f(v.y);
    f[4] = lo_f(v.z); f[5] = hi_f(v.z); f[6] = lo_f(v.w); f[7] = hi_f(v.w);
}

__device__ __forceinline__ uint4 pack8(const float* f)
{
    uint4 v;
    v.x = pack2(f[0], f[1]); v.y = pack2(f[2], f[3]); v.z = pack2(f[4], f[5]); v.w = pack2(f[6], f[7]);
    return v;
}

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block; every thread gets the result. `scratch` holds 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.f;
    return warp_sum(v);
}

// Programmatic dependent launch (sm_90+). The host launches kernels with the programmatic-serialization attribute,
// so a kernel may start while the previous one in the stream still runs. Every kernel therefore calls
// grid_dependency_wait() before it touches anything an earlier kernel writes (work that reads only weights or step
// inputs may go first), then allow_dependents() so the next kernel can launch and stage its own independent work.
// Both are no-ops for a kernel launched without the attribute, and below sm_90.
__device__ __forceinline__ void grid_dependency_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void allow_dependents()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Both at once, at a kernel's start: the usual case.
__device__ __forceinline__ void dependent_launch_entry()
{
    grid_dependency_wait();
    allow_dependents();
}

// Set by the host (KernelLibrary.EarlyTrigger), never by a kernel: read before the grid wait.
extern "C" __device__ int llmserve_early_trigger = 1;

// Both, the other way round when llmserve_early_trigger is set and the grid is small, for the short latency-bound
// kernels of a decode step (norms, RoPE, the split-K merge): the next kernel may launch as soon as every CTA of this
// one is resident, so a GEMV after them stages its first weights while they wait and run. Still correct: every
// kernel waits for the one before it, which waited for its own. Large grids keep the usual order: at batch 256 the
// early launch cost 6% a step (run 38), the successor's CTAs holding slots while the grid ran.
__device__ __forceinline__ void early_dependent_launch_entry()
{
    if (llmserve_early_trigger && gridDim.x * gridDim.y * gridDim.z <= 64)
    {
        allow_dependents();
        grid_dependency_wait();
    }
    else
    {
        grid_dependency_wait();
        allow_dependents();
    }
}

// Tensor-core helpers (prefill and grouped decode attention): mma.sync m16n8k16, bf16 in, fp32 accumulate.
__device__ __forceinline__ void mma_bf16(float* c, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ u32 smem_addr(const void* p)
{
    u32 a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

// Four 8x8 b16 matrices from shared memory; lanes 8i..8i+7 give the row addresses of matrix i.
__device__ __forceinline__ void ldsm_x4(u32& r0, u32& r1, u32& r2, u32& r3, u32 addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// One 16-row x 8-key tile of S = Q K^T over a whole head of KS (even) k-steps: q's A fragments in qf, the keys from
// shared memory by ldmatrix at `base` (this lane's address of the tile's first k-step); one x4 load gives b0, b1 of
// k-steps kk and kk + 1. Shared by the prefill and tensor-core decode attention kernels.
template <int KS>
__device__ __forceinline__ void qk_tile_ldsm(float* s, const u32 (&qf)[KS][4], u32 base)
{
#pragma unroll
    for (int kk = 0; kk < KS; kk += 2)
    {
        u32 b0, b1, b2, b3;
        ldsm_x4(b0, b1, b2, b3, base + kk * 32);
        mma_bf16(s, qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], b0, b1);
        mma_bf16(s, qf[kk + 1][0], qf[kk + 1][1], qf[kk + 1][2], qf[kk + 1][3], b2, b3);
    }
}

// Empty online-softmax states of up to G heads a thread: running max, sum and 8 accumulated output dims each.
template <int G>
__device__ __forceinline__ void clear_softmax_state(float (&m)[G], float (&l)[G], float (&acc)[G][8])
{
#pragma unroll
    for (int g = 0; g < G; g++)
    {
        m[g] = NEG_INF;
        l[g] = 0.f;
#pragma unroll
        for (int j = 0; j < 8; j++) acc[g][j] = 0.f;
    }
}

__device__ __forceinline__ void ldsm_x4_trans(u32& r0, u32& r1, u32& r2, u32& r3, u32 addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// 16-byte global -> shared copies that skip the registers; src_bytes 0 writes zeros (keys past the context's end).
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, int src_bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}

__device__ __forceinline__ void cp_async_wait_all()
{
    asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;" ::: "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

// Waits until at most one committed group of this thread's copies is still in flight.
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;" ::: "memory"); }

// One online-softmax step of the attention kernels over an MMA score tile, in the exp2 domain. sc holds this lane's
// scores (already scaled and masked) of rows g (elements 0, 1) and g + 8 (2, 3); mx_a / mx_b are the lane's maxima of
// those rows including the running maxima m_a / m_b. Takes the row maxima over the 4 lanes of a row, packs P to bf16
// (the next MMA's A fragment), adds the bf16-rounded P to the running sums, and returns the factors (row a, row b) the
// caller rescales its output by. A row with no visible key yet keeps -inf and uses 0 as reference: exp2 gives 0, not NaN.
template <int J>
__device__ __forceinline__ float2 online_softmax_step(const float (&sc)[J][4], float mx_a, float mx_b, float& m_a, float& m_b,
                                                      float& l_a, float& l_b, u32 (&pf)[J][2])
{
    mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 1));
    mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 2));
    mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 1));
    mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 2));
    const float ref_a = mx_a == NEG_INF ? 0.f : mx_a, ref_b = mx_b == NEG_INF ? 0.f : mx_b;
    const float alpha_a = exp2f(m_a - ref_a), alpha_b = exp2f(m_b - ref_b);
    m_a = mx_a;
    m_b = mx_b;
    float sum_a = 0.f, sum_b = 0.f;
#pragma unroll
    for (int j = 0; j < J; j++)
    {
        pf[j][0] = pack2(exp2f(sc[j][0] - ref_a), exp2f(sc[j][1] - ref_a));
        pf[j][1] = pack2(exp2f(sc[j][2] - ref_b), exp2f(sc[j][3] - ref_b));
        // Sum what the MMA will multiply: the bf16-rounded probabilities.
        sum_a += lo_f(pf[j][0]) + hi_f(pf[j][0]);
        sum_b += lo_f(pf[j][1]) + hi_f(pf[j][1]);
    }
    sum_a += __shfl_xor_sync(0xffffffffu, sum_a, 1);
    sum_a += __shfl_xor_sync(0xffffffffu, sum_a, 2);
    sum_b += __shfl_xor_sync(0xffffffffu, sum_b, 1);
    sum_b += __shfl_xor_sync(0xffffffffu, sum_b, 2);
    l_a = l_a * alpha_a + sum_a;
    l_b = l_b * alpha_b + sum_b;
    float2 alpha;
    alpha.x = alpha_a;
    alpha.y = alpha_b;
    return alpha;
}

// The last steps of the CUDA-core decode kernels (decode_attention.cu, decode_layers.cu), whose threads hold online-
// softmax states (max m, sum l, sum p*v over 8 dims) per q head for groups of TPT threads (one token each): merge the
// groups of each warp by shuffles, then lanes 0..TPT-1 store the warp's state, red [warp][G][D] and wml [warp][G][2]
// (max, sum), for the warps' merge through shared memory. Lane c holds dims c*8..c*8+7 (tid % TPT == lane there).
template <int GMAX, int TPT>
__device__ __forceinline__ void store_warp_softmax_state(float (&m)[GMAX], float (&l)[GMAX], float (&acc)[GMAX][8], int G, int D,
                                                         float* red, float* wml)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = TPT; o < 32; o <<= 1)
    {
#pragma unroll
        for (int g = 0; g < GMAX; g++)
        {
            if (g < G)
            {
                const float mo = __shfl_xor_sync(0xffffffffu, m[g], o);
                const float lo = __shfl_xor_sync(0xffffffffu, l[g], o);
                const float M = fmaxf(m[g], mo);
                const float wa = m[g] == NEG_INF ? 0.f : __expf(m[g] - M);
                const float wb = mo == NEG_INF ? 0.f : __expf(mo - M);
                l[g] = l[g] * wa + lo * wb;
#pragma unroll
                for (int j = 0; j < 8; j++) acc[g][j] = acc[g][j] * wa + __shfl_xor_sync(0xffffffffu, acc[g][j], o) * wb;
                m[g] = M;
            }
        }
    }
    if (lane < TPT)
    {
#pragma unroll
        for (int g = 0; g < GMAX; g++)
        {
            if (g < G)
            {
#pragma unroll
                for (int j = 0; j < 8; j++) red[(warp * G + g) * D + lane * 8 + j] = acc[g][j];
                if (lane == 0)
                {
                    wml[(warp * G + g) * 2] = m[g];
                    wml[(warp * G + g) * 2 + 1] = l[g];
                }
            }
        }
    }
}

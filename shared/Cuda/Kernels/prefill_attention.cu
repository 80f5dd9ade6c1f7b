// Prefill / chunked-prefill attention over the paged cache (flash-attention style): the new tokens' K/V are
// already in the cache (rope_qk_norm_cache ran first), so queries attend to the cached prefix and to each other
// through one path. Causal mask by absolute position: query i of a chunk of q_len sits at ctx - q_len + i.
// Tensor cores via mma.sync m16n8k16 (bf16 in, fp32 accumulate); online softmax; the score matrix never
// leaves registers. CTA = 64 queries of one head (4 warps x 16 rows); K/V tiles of 64 keys in shared memory.
//
// grid: (ceil(max_q_len / 64), hq, S); block 128; dynamic smem 2 * 64 * (D + 8) * 2 bytes.
// q: [T, q_stride] rows; cu_q [S+1] first row of each sequence; out: [T, hq * D].

#define PF_M 64
#define PF_N 64

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

__device__ __forceinline__ void ldsm_x4_trans(u32& r0, u32& r1, u32& r2, u32& r3, u32 addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

template <int D, bool REVERSE, int MAX_BATCH>
__device__ void prefill_attention_impl(const bf16* __restrict__ q, int q_stride, bf16* __restrict__ out,
                                       const bf16* __restrict__ k_cache, const bf16* __restrict__ v_cache,
                                       const int* __restrict__ block_tables, int max_blocks,
                                       const int* __restrict__ cu_q, const int* __restrict__ context_lens,
                                       int hq, int hkv, int block_size, float scale)
{
    constexpr int LD = D + 8;            // padded row: consecutive rows start in different banks
    constexpr int KS = D / 16;           // k-steps over the head dim
    constexpr int DT = D / 8;            // 8-wide output tiles
    extern __shared__ bf16 pf_smem[];
    __shared__ int blk_s[PF_N];
    bf16* Ks = pf_smem;
    bf16* Vs = pf_smem + PF_N * LD;

    dependent_launch_entry();
    const int s = blockIdx.z, h = blockIdx.y;
    const int q0 = cu_q[s];
    const int q_len = cu_q[s + 1] - q0;
    const int m0 = (REVERSE ? gridDim.x - 1 - blockIdx.x : blockIdx.x) * PF_M;
    if (m0 >= q_len) return;
    const int ctx = context_lens[s];
    const int base_pos = ctx - q_len;
    const int kvh = h / (hq / hkv);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int* table = block_tables + (size_t)s * max_blocks;

    // Q fragments straight from global memory into registers (rows past q_len read row 0: never written out).
    const int r0 = m0 + warp * 16 + g, r1 = r0 + 8;
    const bf16* qa = q + (size_t)(q0 + (r0 < q_len ? r0 : 0)) * q_stride + (size_t)h * D;
    const bf16* qb = q + (size_t)(q0 + (r1 < q_len ? r1 : 0)) * q_stride + (size_t)h * D;
    u32 qf[KS][4];
#pragma unroll
    for (int kk = 0; kk < KS; kk++)
    {
        qf[kk][0] = *(const u32*)(qa + kk * 16 + 2 * t4);
        qf[kk][1] = *(const u32*)(qb + kk * 16 + 2 * t4);
        qf[kk][2] = *(const u32*)(qa + kk * 16 + 8 + 2 * t4);
        qf[kk][3] = *(const u32*)(qb + kk * 16 + 8 + 2 * t4);
    }
    const int pos0 = base_pos + r0, pos1 = base_pos + r1;

    float o[DT][4];
#pragma unroll
    for (int j = 0; j < DT; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    float m_a = NEG_INF, m_b = NEG_INF, l_a = 0.f, l_b = 0.f;

    const int kv_end = min(ctx, base_pos + m0 + PF_M);
    for (int kb = 0; kb < kv_end; kb += PF_N)
    {
        __syncthreads();
        // Load K and V tiles: 64 keys x D, 16 bytes per thread per step; keys past ctx become zeros. The tile's
        // block ids go to shared memory first, then every thread issues all its loads before storing any.
        for (int i = tid; i < PF_N; i += blockDim.x)
        {
            const int kpos = kb + i;
            blk_s[i] = kpos < ctx ? table[kpos / block_size] : 0;
        }
        __syncthreads();
        constexpr int PER_THREAD = PF_N * (D / 8) / 128;
        constexpr int BATCH = PER_THREAD < MAX_BATCH ? PER_THREAD : MAX_BATCH;
#pragma unroll
        for (int b0 = 0; b0 < PER_THREAD; b0 += BATCH)
        {
            uint4 kr[BATCH], vr[BATCH];
#pragma unroll
            for (int u = 0; u < BATCH; u++)
            {
                const int i = tid + (b0 + u) * 128;
                const int key = i / (D / 8), c = i % (D / 8);
                const int kpos = kb + key;
                kr[u] = make_uint4(0, 0, 0, 0);
                vr[u] = make_uint4(0, 0, 0, 0);
                if (kpos < ctx)
                {
                    const size_t off = (((size_t)blk_s[key] * hkv + kvh) * block_size + kpos % block_size) * D + c * 8;
                    kr[u] = *(const uint4*)(k_cache + off);
                    vr[u] = *(const uint4*)(v_cache + off);
                }
            }
#pragma unroll
            for (int u = 0; u < BATCH; u++)
            {
                const int i = tid + (b0 + u) * 128;
                const int key = i / (D / 8), c = i % (D / 8);
                *(uint4*)(Ks + key * LD + c * 8) = kr[u];
                *(uint4*)(Vs + key * LD + c * 8) = vr[u];
            }
        }
        __syncthreads();

        // S = Q K^T for this warp's 16 rows x 64 keys. K fragments come by ldmatrix: matrices 0..3 of one
        // x4 load are (keys j*8.., dims kk*16 + {0, 8, 16, 24}) = b0, b1 of k-steps kk and kk+1.
        float sc[PF_N / 8][4];
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
            if constexpr (KS % 2 == 0)
            {
                const u32 base = smem_addr(Ks + (j * 8 + (lane & 7)) * LD + (lane >> 3) * 8);
#pragma unroll
                for (int kk = 0; kk < KS; kk += 2)
                {
                    u32 b0, b1, b2, b3;
                    ldsm_x4(b0, b1, b2, b3, base + kk * 32);
                    mma_bf16(sc[j], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], b0, b1);
                    mma_bf16(sc[j], qf[kk + 1][0], qf[kk + 1][1], qf[kk + 1][2], qf[kk + 1][3], b2, b3);
                }
            }
            else
            {
                const bf16* krow = Ks + (j * 8 + g) * LD + 2 * t4;
#pragma unroll
                for (int kk = 0; kk < KS; kk++)
                    mma_bf16(sc[j], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3],
                             *(const u32*)(krow + kk * 16), *(const u32*)(krow + kk * 16 + 8));
            }
        }

        // Scale, mask by absolute position, online softmax (rows g and g+8 of this warp's 16).
        float mx_a = m_a, mx_b = m_b;
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            const int key = kb + j * 8 + 2 * t4;
            sc[j][0] = (key <= pos0 && key < ctx) ? sc[j][0] * scale : NEG_INF;
            sc[j][1] = (key + 1 <= pos0 && key + 1 < ctx) ? sc[j][1] * scale : NEG_INF;
            sc[j][2] = (key <= pos1 && key < ctx) ? sc[j][2] * scale : NEG_INF;
            sc[j][3] = (key + 1 <= pos1 && key + 1 < ctx) ? sc[j][3] * scale : NEG_INF;
            mx_a = fmaxf(mx_a, fmaxf(sc[j][0], sc[j][1]));
            mx_b = fmaxf(mx_b, fmaxf(sc[j][2], sc[j][3]));
        }
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 1));
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 2));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 1));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 2));
        // A row with no visible key yet keeps -inf; use 0 as its reference so exp() gives 0, not NaN.
        const float ref_a = mx_a == NEG_INF ? 0.f : mx_a, ref_b = mx_b == NEG_INF ? 0.f : mx_b;
        const float alpha_a = __expf(m_a - ref_a), alpha_b = __expf(m_b - ref_b);
        m_a = mx_a;
        m_b = mx_b;
        float sum_a = 0.f, sum_b = 0.f;
        u32 pf[PF_N / 8][2];
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            const float p0 = __expf(sc[j][0] - ref_a), p1 = __expf(sc[j][1] - ref_a);
            const float p2 = __expf(sc[j][2] - ref_b), p3 = __expf(sc[j][3] - ref_b);
            pf[j][0] = pack2(p0, p1);
            pf[j][1] = pack2(p2, p3);
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
#pragma unroll
        for (int j = 0; j < DT; j++)
        {
            o[j][0] *= alpha_a;
            o[j][1] *= alpha_a;
            o[j][2] *= alpha_b;
            o[j][3] *= alpha_b;
        }

        // O += P V: P's accumulator layout is already the A-fragment layout of the next MMA.
#pragma unroll
        for (int kk = 0; kk < PF_N / 16; kk++)
        {
            const u32 a0 = pf[2 * kk][0], a1 = pf[2 * kk][1], a2 = pf[2 * kk + 1][0], a3 = pf[2 * kk + 1][1];
            // V fragments by ldmatrix.trans: matrices 0..3 are (keys kk*16 + {0, 8}, dims j*8 and (j+1)*8), i.e.
            // b0, b1 of output tiles j and j+1.
            const u32 vbase = smem_addr(Vs + (kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7)) * LD + (lane >> 4) * 8);
#pragma unroll
            for (int j = 0; j < DT; j += 2)
            {
                u32 b0, b1, b2, b3;
                ldsm_x4_trans(b0, b1, b2, b3, vbase + j * 16);
                mma_bf16(o[j], a0, a1, a2, a3, b0, b1);
                mma_bf16(o[j + 1], a0, a1, a2, a3, b2, b3);
            }
        }
    }

    const float inv_a = l_a > 0.f ? 1.f / l_a : 0.f, inv_b = l_b > 0.f ? 1.f / l_b : 0.f;
    if (r0 < q_len)
    {
        bf16* oa = out + (size_t)(q0 + r0) * hq * D + (size_t)h * D + 2 * t4;
#pragma unroll
        for (int j = 0; j < DT; j++) *(u32*)(oa + j * 8) = pack2(o[j][0] * inv_a, o[j][1] * inv_a);
    }
    if (r1 < q_len)
    {
        bf16* ob = out + (size_t)(q0 + r1) * hq * D + (size_t)h * D + 2 * t4;
#pragma unroll
        for (int j = 0; j < DT; j++) *(u32*)(ob + j * 8) = pack2(o[j][2] * inv_b, o[j][3] * inv_b);
    }
}

template <bool CA>
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, int src_bytes)
{
    if constexpr (CA)
        asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
    else
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;" ::: "memory"); }

// A pipelined design, kept for the bench (slower on the H200: 367 us against 306 us for 2048 causal tokens, same
// occupancy): K/V tiles double-buffered in shared memory and filled by cp.async one tile ahead, so the
// copy of tile t+1 runs under the MMAs of tile t and each tile costs one barrier. The block ids a tile's copies need
// are read from the table one more tile ahead, into registers, so no copy waits on a table load. CTAs take query
// tiles heaviest first (the causal mask gives the last tiles the most keys), so the long CTAs do not form the tail.
// dynamic smem 2 stages * 2 (K, V) * 64 * (D + 8) * 2 bytes.
template <int D, bool CA>
__device__ void prefill_attention_pipelined_impl(const bf16* __restrict__ q, int q_stride, bf16* __restrict__ out,
                                       const bf16* __restrict__ k_cache, const bf16* __restrict__ v_cache,
                                       const int* __restrict__ block_tables, int max_blocks,
                                       const int* __restrict__ cu_q, const int* __restrict__ context_lens,
                                       int hq, int hkv, int block_size, float scale)
{
    constexpr int LD = D + 8;                      // padded row: consecutive rows start in different banks
    constexpr int KS = D / 16;                     // k-steps over the head dim
    constexpr int DT = D / 8;                      // 8-wide output tiles
    constexpr int CHUNKS = D / 8;                  // 16-byte chunks per key row
    constexpr int KEYS_PER_PASS = 128 / CHUNKS;    // keys one pass of the 128 threads copies
    constexpr int PER_THREAD = PF_N / KEYS_PER_PASS;
    constexpr int STAGE = 2 * PF_N * LD;           // one stage: K tile then V tile
    extern __shared__ bf16 pf_smem[];

    const int s = blockIdx.z, h = blockIdx.y;
    const int q0 = cu_q[s];
    const int q_len = cu_q[s + 1] - q0;
    const int m0 = (gridDim.x - 1 - blockIdx.x) * PF_M;
    const int ctx = context_lens[s];
    const int* table = block_tables + (size_t)s * max_blocks;
    dependent_launch_entry();
    if (m0 >= q_len) return;
    const int base_pos = ctx - q_len;
    const int kvh = h / (hq / hkv);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int c = tid % CHUNKS, key0 = tid / CHUNKS;

    const int kv_end = min(ctx, base_pos + m0 + PF_M);
    const int ntiles = (kv_end + PF_N - 1) / PF_N;

    // Block ids of this thread's keys in tile t (keys past ctx: -1, copied as zeros).
    int ids[PER_THREAD];
    auto load_ids = [&](int t) {
#pragma unroll
        for (int u = 0; u < PER_THREAD; u++)
        {
            const int kpos = t * PF_N + key0 + u * KEYS_PER_PASS;
            ids[u] = kpos < ctx ? table[kpos / block_size] : -1;
        }
    };
    auto issue = [&](int t, int stage) {
        bf16* Ks = pf_smem + stage * STAGE;
        bf16* Vs = Ks + PF_N * LD;
#pragma unroll
        for (int u = 0; u < PER_THREAD; u++)
        {
            const int key = key0 + u * KEYS_PER_PASS;
            const int kpos = t * PF_N + key;
            const bool ok = ids[u] >= 0;
            const size_t off = ok ? ((((size_t)ids[u] * hkv + kvh) * block_size + kpos % block_size) * D + c * 8) : 0;
            cp_async16<CA>(smem_addr(Ks + key * LD + c * 8), k_cache + off, ok ? 16 : 0);
            cp_async16<CA>(smem_addr(Vs + key * LD + c * 8), v_cache + off, ok ? 16 : 0);
        }
        cp_async_commit();
    };

    load_ids(0);
    issue(0, 0);
    if (ntiles > 1) load_ids(1);

    // Q fragments straight from global memory into registers (rows past q_len read row 0: never written out).
    const int r0 = m0 + warp * 16 + g, r1 = r0 + 8;
    const bf16* qa = q + (size_t)(q0 + (r0 < q_len ? r0 : 0)) * q_stride + (size_t)h * D;
    const bf16* qb = q + (size_t)(q0 + (r1 < q_len ? r1 : 0)) * q_stride + (size_t)h * D;
    u32 qf[KS][4];
#pragma unroll
    for (int kk = 0; kk < KS; kk++)
    {
        qf[kk][0] = *(const u32*)(qa + kk * 16 + 2 * t4);
        qf[kk][1] = *(const u32*)(qb + kk * 16 + 2 * t4);
        qf[kk][2] = *(const u32*)(qa + kk * 16 + 8 + 2 * t4);
        qf[kk][3] = *(const u32*)(qb + kk * 16 + 8 + 2 * t4);
    }
    const int pos0 = base_pos + r0, pos1 = base_pos + r1;
    // Scores in the exp2 domain: one multiply folds the softmax scale and log2(e).
    const float sl2 = scale * 1.4426950408889634f;

    float o[DT][4];
#pragma unroll
    for (int j = 0; j < DT; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    float m_a = NEG_INF, m_b = NEG_INF, l_a = 0.f, l_b = 0.f;

    for (int t = 0; t < ntiles; t++)
    {
        const int stage = t & 1;
        cp_async_wait_all();
        // Tile t has landed for every thread, and every warp is done with tile t-1, whose stage the next copy reuses.
        __syncthreads();
        if (t + 1 < ntiles)
        {
            issue(t + 1, stage ^ 1);
            if (t + 2 < ntiles) load_ids(t + 2);
        }
        const bf16* Ks = pf_smem + stage * STAGE;
        const bf16* Vs = Ks + PF_N * LD;
        const int kb = t * PF_N;

        // S = Q K^T for this warp's 16 rows x 64 keys. K fragments come by ldmatrix: matrices 0..3 of one
        // x4 load are (keys j*8.., dims kk*16 + {0, 8, 16, 24}) = b0, b1 of k-steps kk and kk+1.
        float sc[PF_N / 8][4];
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
            if constexpr (KS % 2 == 0)
            {
                const u32 base = smem_addr(Ks + (j * 8 + (lane & 7)) * LD + (lane >> 3) * 8);
#pragma unroll
                for (int kk = 0; kk < KS; kk += 2)
                {
                    u32 b0, b1, b2, b3;
                    ldsm_x4(b0, b1, b2, b3, base + kk * 32);
                    mma_bf16(sc[j], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], b0, b1);
                    mma_bf16(sc[j], qf[kk + 1][0], qf[kk + 1][1], qf[kk + 1][2], qf[kk + 1][3], b2, b3);
                }
            }
            else
            {
                const bf16* krow = Ks + (j * 8 + g) * LD + 2 * t4;
#pragma unroll
                for (int kk = 0; kk < KS; kk++)
                    mma_bf16(sc[j], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3],
                             *(const u32*)(krow + kk * 16), *(const u32*)(krow + kk * 16 + 8));
            }
        }

        // Scale, mask by absolute position, online softmax (rows g and g+8 of this warp's 16).
        float mx_a = m_a, mx_b = m_b;
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            const int key = kb + j * 8 + 2 * t4;
            sc[j][0] = (key <= pos0 && key < ctx) ? sc[j][0] * sl2 : NEG_INF;
            sc[j][1] = (key + 1 <= pos0 && key + 1 < ctx) ? sc[j][1] * sl2 : NEG_INF;
            sc[j][2] = (key <= pos1 && key < ctx) ? sc[j][2] * sl2 : NEG_INF;
            sc[j][3] = (key + 1 <= pos1 && key + 1 < ctx) ? sc[j][3] * sl2 : NEG_INF;
            mx_a = fmaxf(mx_a, fmaxf(sc[j][0], sc[j][1]));
            mx_b = fmaxf(mx_b, fmaxf(sc[j][2], sc[j][3]));
        }
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 1));
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 2));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 1));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 2));
        // A row with no visible key yet keeps -inf; use 0 as its reference so exp2() gives 0, not NaN.
        const float ref_a = mx_a == NEG_INF ? 0.f : mx_a, ref_b = mx_b == NEG_INF ? 0.f : mx_b;
        const float alpha_a = exp2f(m_a - ref_a), alpha_b = exp2f(m_b - ref_b);
        m_a = mx_a;
        m_b = mx_b;
        float sum_a = 0.f, sum_b = 0.f;
        u32 pf[PF_N / 8][2];
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
            const float p0 = exp2f(sc[j][0] - ref_a), p1 = exp2f(sc[j][1] - ref_a);
            const float p2 = exp2f(sc[j][2] - ref_b), p3 = exp2f(sc[j][3] - ref_b);
            pf[j][0] = pack2(p0, p1);
            pf[j][1] = pack2(p2, p3);
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
#pragma unroll
        for (int j = 0; j < DT; j++)
        {
            o[j][0] *= alpha_a;
            o[j][1] *= alpha_a;
            o[j][2] *= alpha_b;
            o[j][3] *= alpha_b;
        }

        // O += P V: P's accumulator layout is already the A-fragment layout of the next MMA.
#pragma unroll
        for (int kk = 0; kk < PF_N / 16; kk++)
        {
            const u32 a0 = pf[2 * kk][0], a1 = pf[2 * kk][1], a2 = pf[2 * kk + 1][0], a3 = pf[2 * kk + 1][1];
            // V fragments by ldmatrix.trans: matrices 0..3 are (keys kk*16 + {0, 8}, dims j*8 and (j+1)*8), i.e.
            // b0, b1 of output tiles j and j+1.
            const u32 vbase = smem_addr(Vs + (kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7)) * LD + (lane >> 4) * 8);
#pragma unroll
            for (int j = 0; j < DT; j += 2)
            {
                u32 b0, b1, b2, b3;
                ldsm_x4_trans(b0, b1, b2, b3, vbase + j * 16);
                mma_bf16(o[j], a0, a1, a2, a3, b0, b1);
                mma_bf16(o[j + 1], a0, a1, a2, a3, b2, b3);
            }
        }
    }

    const float inv_a = l_a > 0.f ? 1.f / l_a : 0.f, inv_b = l_b > 0.f ? 1.f / l_b : 0.f;
    if (r0 < q_len)
    {
        bf16* oa = out + (size_t)(q0 + r0) * hq * D + (size_t)h * D + 2 * t4;
#pragma unroll
        for (int j = 0; j < DT; j++) *(u32*)(oa + j * 8) = pack2(o[j][0] * inv_a, o[j][1] * inv_a);
    }
    if (r1 < q_len)
    {
        bf16* ob = out + (size_t)(q0 + r1) * hq * D + (size_t)h * D + 2 * t4;
#pragma unroll
        for (int j = 0; j < DT; j++) *(u32*)(ob + j * 8) = pack2(o[j][2] * inv_b, o[j][3] * inv_b);
    }
}

#define PREFILL_KERNEL(D)                                                                                           \
    extern "C" __global__ void __launch_bounds__(128) prefill_attention_d##D(                                      \
        const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables, \
        int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)     \
    {                                                                                                               \
        prefill_attention_impl<D, true, 8>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q,      \
                                        context_lens, hq, hkv, block_size, scale);                                  \
    }

PREFILL_KERNEL(16)
PREFILL_KERNEL(32)
PREFILL_KERNEL(64)
PREFILL_KERNEL(128)
PREFILL_KERNEL(256)

// For the bench to compare (head size 128): query tiles in launch order (the run-8 kernel), and the pipelined design
// with cp.async bypassing L1 (cg) or allocating in it (ca).
extern "C" __global__ void __launch_bounds__(128) prefill_attention_forward_d128(
    const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables,
    int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)
{
    prefill_attention_impl<128, false, 8>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q, context_lens,
                                       hq, hkv, block_size, scale);
}

// Three CTAs per SM (at most 170 registers): loads staged 8 or 4 at a time, and the pipelined design with cp.async.ca.
extern "C" __global__ void __launch_bounds__(128, 3) prefill_attention_occ3_d128(
    const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables,
    int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)
{
    prefill_attention_impl<128, true, 8>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q, context_lens,
                                         hq, hkv, block_size, scale);
}

extern "C" __global__ void __launch_bounds__(128, 3) prefill_attention_occ3b4_d128(
    const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables,
    int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)
{
    prefill_attention_impl<128, true, 4>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q, context_lens,
                                         hq, hkv, block_size, scale);
}

extern "C" __global__ void __launch_bounds__(128, 3) prefill_attention_ca_occ3_d128(
    const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables,
    int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)
{
    prefill_attention_pipelined_impl<128, true>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q,
                                                context_lens, hq, hkv, block_size, scale);
}

extern "C" __global__ void __launch_bounds__(128) prefill_attention_ca_d128(
    const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables,
    int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)
{
    prefill_attention_pipelined_impl<128, true>(q, q_stride, out, k_cache, v_cache, block_tables, max_blocks, cu_q,
                                                context_lens, hq, hkv, block_size, scale);
}

// Prefill / chunked-prefill attention over the paged cache (flash-attention style): the new tokens' K/V are
// already in the cache (rope_qk_norm_cache ran first), so queries attend to the cached prefix and to each other
// through one path. Causal mask by absolute position: query i of a chunk of q_len sits at ctx - q_len + i.
// Tensor cores via mma.sync m16n8k16 (bf16 in, fp32 accumulate); online softmax; the score matrix never
// leaves registers. CTA = 16 * WARPS queries of one head, 16 rows a warp, 4 warps (8 warps load each K/V tile once
// for 128 queries but fit one CTA an SM: no faster on the H200, run 15). K/V tiles of 64 keys in shared memory.
//
// grid: (hq, ceil(max_q_len / 64), S); block 128; dynamic smem 2 * 64 * (D + 8) * 2 bytes (twice that double-buffered).
// q: [T, q_stride] rows; cu_q [S+1] first row of each sequence; out: [T, hq * D].

#define PF_N 64

// The softmax part of a 64-key tile, shared by the mma.sync and wgmma kernels: scale S into the exp2 domain, mask by
// absolute position, the online softmax of rows g and g + 8 of this warp's 16 (P packed as the next MMA's A fragment
// into pf), and the rescale of the output accumulated so far. A tile every row of the CTA sees whole (all but the
// diagonal ones of a causal prefill) skips the mask.
template <int DT>
__device__ __forceinline__ void prefill_softmax(float (&sc)[PF_N / 8][4], int kb, int ctx, int base_pos, int m0, int pos0, int pos1,
                                                float sl2, float (&o)[DT][4], float& m_a, float& m_b, float& l_a, float& l_b,
                                                u32 (&pf)[PF_N / 8][2])
{
    const int t4 = threadIdx.x & 3;
    float mx_a = m_a, mx_b = m_b;
    if (kb + PF_N <= ctx && kb + PF_N - 1 <= base_pos + m0)
    {
#pragma unroll
        for (int j = 0; j < PF_N / 8; j++)
        {
#pragma unroll
            for (int e = 0; e < 4; e++) sc[j][e] *= sl2;
            mx_a = fmaxf(mx_a, fmaxf(sc[j][0], sc[j][1]));
            mx_b = fmaxf(mx_b, fmaxf(sc[j][2], sc[j][3]));
        }
    }
    else
    {
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
    }
    const float2 alpha = online_softmax_step<PF_N / 8>(sc, mx_a, mx_b, m_a, m_b, l_a, l_b, pf);
    const float alpha_a = alpha.x, alpha_b = alpha.y;
#pragma unroll
    for (int j = 0; j < DT; j++)
    {
        o[j][0] *= alpha_a;
        o[j][1] *= alpha_a;
        o[j][2] *= alpha_b;
        o[j][3] *= alpha_b;
    }
}

// One K/V tile of 64 keys (in shared memory) against this warp's 16 query rows: S = Q K^T, the causal mask where the
// tile is not wholly visible, the online softmax, O += P V.
template <int D>
__device__ __forceinline__ void prefill_tile(const bf16* Ks, const bf16* Vs, int kb, int ctx, int base_pos, int m0,
                                             int pos0, int pos1, float sl2, const u32 (&qf)[D / 16][4], float (&o)[D / 8][4],
                                             float& m_a, float& m_b, float& l_a, float& l_b)
{
    constexpr int LD = D + 8;
    constexpr int KS = D / 16;
    constexpr int DT = D / 8;
    const int lane = threadIdx.x & 31, g = lane >> 2, t4 = lane & 3;
    // S = Q K^T for this warp's 16 rows x 64 keys. K fragments come by ldmatrix: matrices 0..3 of one
    // x4 load are (keys j*8.., dims kk*16 + {0, 8, 16, 24}) = b0, b1 of k-steps kk and kk+1.
    float sc[PF_N / 8][4];
#pragma unroll
    for (int j = 0; j < PF_N / 8; j++)
    {
        sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
        if constexpr (KS % 2 == 0)
        {
            qk_tile_ldsm<KS>(sc[j], qf, smem_addr(Ks + (j * 8 + (lane & 7)) * LD + (lane >> 3) * 8));
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

    u32 pf[PF_N / 8][2];
    prefill_softmax<DT>(sc, kb, ctx, base_pos, m0, pos0, pos1, sl2, o, m_a, m_b, l_a, l_b, pf);

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

// How the mma.sync kernels lay a K/V tile out in shared memory and compute it: rows of D + 8 elements (consecutive
// rows start in different banks); chunk i (16 bytes) of a tile's copy is key i / (D / 8), 8-dim column i % (D / 8).
// The wgmma kernel (Hopper/prefill_attention_wgmma.cu) brings its own layout and tile through the same interface.
struct PrefillMmaTile
{
    template <int D>
    __host__ __device__ __forceinline__ static constexpr int elems() { return PF_N * (D + 8); }

    template <int D>
    __device__ __forceinline__ static int key(int i) { return i / (D / 8); }

    template <int D>
    __device__ __forceinline__ static int chunk(int i) { return i % (D / 8); }

    template <int D>
    __device__ __forceinline__ static int offset(int key, int c) { return key * (D + 8) + c * 8; }

    template <int D>
    __device__ __forceinline__ static void run(const bf16* Ks, const bf16* Vs, int kb, int ctx, int base_pos, int m0, int pos0, int pos1, float sl2,
                               const u32 (&qf)[D / 16][4], float (&o)[D / 8][4], float& m_a, float& m_b, float& l_a, float& l_b)
    {
        prefill_tile<D>(Ks, Vs, kb, ctx, base_pos, m0, pos0, pos1, sl2, qf, o, m_a, m_b, l_a, l_b);
    }
};

template <int D, int WARPS, bool PIPE, class Tile>
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

    dependent_launch_entry();
    const int s = blockIdx.z, h = blockIdx.x;
    const int q0 = cu_q[s];
    const int q_len = cu_q[s + 1] - q0;
    // Heaviest query tiles first (longest-first scheduling): under the causal mask the last tiles see the most keys.
    // The tile is the grid's slower dimension, so the first wave holds every head's heaviest tiles, not all tiles of
    // a few heads, and the light ones fill the tail.
    constexpr int TILE_M = 16 * WARPS;   // queries a CTA: 16 rows a warp
    constexpr int THREADS = 32 * WARPS;
    const int m0 = (gridDim.y - 1 - blockIdx.y) * TILE_M;
    if (m0 >= q_len) return;
    const int ctx = context_lens[s];
    const int base_pos = ctx - q_len;
    const int kvh = h / (hq / hkv);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int* table = block_tables + (size_t)s * max_blocks;
    // Block sizes are powers of two (the host checks): shifts, not divisions, in the address math.
    const int bs_shift = __ffs(block_size) - 1, bs_mask = block_size - 1;

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
    const float sl2 = scale * 1.4426950408889634f;   // softmax scale times log2(e): exp(x * scale) = exp2(x * sl2)

    float o[DT][4];
#pragma unroll
    for (int j = 0; j < DT; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    float m_a = NEG_INF, m_b = NEG_INF, l_a = 0.f, l_b = 0.f;

    const int kv_end = min(ctx, base_pos + m0 + TILE_M);
    constexpr int PER_THREAD = PF_N * (D / 8) / THREADS;
    if constexpr (!PIPE)
    {
        bf16* Ks = pf_smem;
        bf16* Vs = pf_smem + PF_N * LD;
        for (int kb = 0; kb < kv_end; kb += PF_N)
        {
            __syncthreads();
            // Load K and V tiles: 64 keys x D, 16 bytes per thread per step; keys past ctx become zeros. The tile's
            // block ids go to shared memory first, then every thread issues all its loads before storing any.
            for (int i = tid; i < PF_N; i += blockDim.x)
            {
                const int kpos = kb + i;
                blk_s[i] = kpos < ctx ? table[kpos >> bs_shift] : 0;
            }
            __syncthreads();
            constexpr int BATCH = PER_THREAD < 8 ? PER_THREAD : 8;
#pragma unroll
            for (int b0 = 0; b0 < PER_THREAD; b0 += BATCH)
            {
                uint4 kr[BATCH], vr[BATCH];
#pragma unroll
                for (int u = 0; u < BATCH; u++)
                {
                    const int i = tid + (b0 + u) * THREADS;
                    const int key = i / (D / 8), c = i % (D / 8);
                    const int kpos = kb + key;
                    kr[u] = make_uint4(0, 0, 0, 0);
                    vr[u] = make_uint4(0, 0, 0, 0);
                    if (kpos < ctx)
                    {
                        const size_t off = ((((size_t)blk_s[key] * hkv + kvh) << bs_shift) + (kpos & bs_mask)) * D + c * 8;
                        kr[u] = *(const uint4*)(k_cache + off);
                        vr[u] = *(const uint4*)(v_cache + off);
                    }
                }
#pragma unroll
                for (int u = 0; u < BATCH; u++)
                {
                    const int i = tid + (b0 + u) * THREADS;
                    const int key = i / (D / 8), c = i % (D / 8);
                    *(uint4*)(Ks + key * LD + c * 8) = kr[u];
                    *(uint4*)(Vs + key * LD + c * 8) = vr[u];
                }
            }
            __syncthreads();
            prefill_tile<D>(Ks, Vs, kb, ctx, base_pos, m0, pos0, pos1, sl2, qf, o, m_a, m_b, l_a, l_b);
        }
    }
    else
    {
        // Double-buffered: tile t + 1 is copied into the other buffer (cp.async, no register staging) while tile t's
        // MMAs run. Each thread's copies need the block ids of its keys; those of tile t + 2 are read from the table
        // into registers during tile t, so no dependent table read sits in front of a copy.
        const int tiles = (kv_end + PF_N - 1) / PF_N;
        int ids[PER_THREAD];
        constexpr int TILE = Tile::template elems<D>();
        auto read_ids = [&](int kb)
        {
#pragma unroll
            for (int u = 0; u < PER_THREAD; u++)
            {
                const int kpos = kb + Tile::template key<D>(tid + u * THREADS);
                ids[u] = kpos < ctx ? table[kpos >> bs_shift] : 0;
            }
        };
        auto issue = [&](int kb, int buf)
        {
            bf16* Kd = pf_smem + buf * 2 * TILE;
            bf16* Vd = Kd + TILE;
#pragma unroll
            for (int u = 0; u < PER_THREAD; u++)
            {
                const int i = tid + u * THREADS;
                const int key = Tile::template key<D>(i), c = Tile::template chunk<D>(i);
                const int kpos = kb + key;
                const size_t off = kpos < ctx ? ((((size_t)ids[u] * hkv + kvh) << bs_shift) + (kpos & bs_mask)) * D + c * 8 : 0;
                const int bytes = kpos < ctx ? 16 : 0;
                cp_async16(smem_addr(Kd + Tile::template offset<D>(key, c)), k_cache + off, bytes);
                cp_async16(smem_addr(Vd + Tile::template offset<D>(key, c)), v_cache + off, bytes);
            }
            cp_async_commit();
        };
        read_ids(0);
        issue(0, 0);
        if (tiles > 1) read_ids(PF_N);
        for (int t = 0; t < tiles; t++)
        {
            if (t + 1 < tiles)
            {
                issue((t + 1) * PF_N, (t + 1) & 1);
                if (t + 2 < tiles) read_ids((t + 2) * PF_N);
                cp_async_wait_one();
            }
            else
            {
                cp_async_wait_all();
            }
            __syncthreads();
            const bf16* Ks = pf_smem + (t & 1) * 2 * TILE;
            Tile::template run<D>(Ks, Ks + TILE, t * PF_N, ctx, base_pos, m0, pos0, pos1, sl2, qf, o, m_a, m_b, l_a, l_b);
            // Every warp is done with this buffer before the next iteration's copies refill it.
            __syncthreads();
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

#define PREFILL_KERNEL(NAME, D, PIPE)                                                                               \
    extern "C" __global__ void __launch_bounds__(128) NAME(                                                         \
        const bf16* q, int q_stride, bf16* out, const bf16* k_cache, const bf16* v_cache, const int* block_tables, \
        int max_blocks, const int* cu_q, const int* context_lens, int hq, int hkv, int block_size, float scale)     \
    {                                                                                                               \
        prefill_attention_impl<D, 4, PIPE, PrefillMmaTile>(q, q_stride, out, k_cache, v_cache, block_tables,       \
                                                           max_blocks, cu_q, context_lens, hq, hkv, block_size, scale); \
    }

PREFILL_KERNEL(prefill_attention_d16, 16, false)
PREFILL_KERNEL(prefill_attention_d32, 32, false)
PREFILL_KERNEL(prefill_attention_d64, 64, false)
PREFILL_KERNEL(prefill_attention_d128, 128, false)
PREFILL_KERNEL(prefill_attention_d256, 256, false)
// Double-buffered K/V tiles (twice the shared memory).
PREFILL_KERNEL(prefill_attention_pipe_d64, 64, true)
PREFILL_KERNEL(prefill_attention_pipe_d128, 128, true)

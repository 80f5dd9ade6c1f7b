// Decode attention on tensor cores for grouped-query heads. The CUDA-core kernel (decode_attention.cu) spends its
// issue slots on q.k dot products, their shuffle reductions and one exp per head per lane, which left it at about half
// of the bandwidth floor at batch (bench/cuda/KERNELS.md). Here the G query heads sharing a KV head are the rows of an
// m16n8k16 MMA tile (rows past G are zero), so q.K^T and P.V are MMAs and the CUDA cores only run the softmax.
//
// Same grid, outputs and split-K partials as decode_attention_d*_g* (the reduce kernel merges both): one CTA per
// (sequence, kv head, partition), 4 warps. A partition may be longer than the CUDA-core kernel's 128 keys (up to
// DTC_MAX_PART; the host gives large batches one or a few long partitions, so they skip the split-K partials and the
// reduce kernel): its keys stream through two 64-key tiles of shared memory by cp.async (no register staging; the
// next tile lands while this one is computed, two tiles = about 70 KB a CTA at D = 128) and are read by ldmatrix as in
// prefill_attention.cu. Warp w takes the w-th 16 keys of every tile with its own online softmax; the warps merge at
// the end. Dynamic shared memory: DecodeTensorCoreSharedBytes on the host.

#define DTC_TILE 64
#define DTC_MAX_PART 2048   // KernelLibrary.DecodeTensorCoreMaxPartition; block ids of a partition: DTC_MAX_PART / 16 + 1
                            // at block size >= 16 (longer partitions need that), PARTITION + 1 at any block size

template <int D>
__device__ void decode_attention_tc_impl(const bf16* __restrict__ q, int q_stride, bf16* __restrict__ out,
                                         float* __restrict__ partial_acc, float* __restrict__ partial_ml,
                                         const bf16* __restrict__ k_cache, const bf16* __restrict__ v_cache,
                                         const int* __restrict__ block_tables, int max_blocks,
                                         const int* __restrict__ context_lens, int hq, int hkv, int block_size, float scale, int part)
{
    constexpr int LD = D + 8;       // padded row: ldmatrix rows in different banks
    constexpr int KS = D / 16;      // k-steps of q.K^T (even: D is 64 or 128)
    constexpr int DT = D / 8;       // 8-wide output tiles of P.V
    extern __shared__ bf16 dtc_smem[];
    __shared__ int blk_s[DTC_MAX_PART / 16 + 1];
    bf16* Kb = dtc_smem;                        // [2][DTC_TILE][LD]: two tiles of keys
    bf16* Vb = dtc_smem + 2 * DTC_TILE * LD;    // [2][DTC_TILE][LD]: their values

    const int G = hq / hkv;
    const int s = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z, nsplit = gridDim.z;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int L = context_lens[s];
    const int start = split * part;
    const int end = min(L, start + part);
    const int n = end - start;
    const int bs_shift = __ffs(block_size) - 1, bs_mask = block_size - 1;
    const int first_blk = stage_partition_blocks(block_tables, max_blocks, s, start, end, bs_shift, blk_s);
    dependent_launch_entry();
    if (n <= 0)
    {
        if (nsplit == 1) zero_group_output(out, s, kvh, hq, G, D);
        return;   // partitions past the end are ignored by the reduce kernel, which knows L
    }
    __syncthreads();

    // Tile t's K and V into buffer t & 1, straight into shared memory; keys past the end are zero-filled.
    const int tiles = (n + DTC_TILE - 1) / DTC_TILE;
    auto load_tile = [&](int t)
    {
        bf16* Kt = Kb + (t & 1) * DTC_TILE * LD;
        bf16* Vt = Vb + (t & 1) * DTC_TILE * LD;
        for (int i = tid; i < DTC_TILE * (D / 8); i += DEC_THREADS)
        {
            const int key = i / (D / 8), c = i % (D / 8);
            const int kpos = start + t * DTC_TILE + key;
            size_t off = 0;
            if (kpos < end) off = ((((size_t)blk_s[(kpos >> bs_shift) - first_blk] * hkv + kvh) << bs_shift) + (kpos & bs_mask)) * D + c * 8;
            const int bytes = kpos < end ? 16 : 0;
            cp_async16(smem_addr(Kt + key * LD + c * 8), k_cache + off, bytes);
            cp_async16(smem_addr(Vt + key * LD + c * 8), v_cache + off, bytes);
        }
    };
    // One commit group a tile (empty past the last), so "all but the newest group landed" means "tile t landed".
    load_tile(0);
    cp_async_commit();
    if (tiles > 1) load_tile(1);
    cp_async_commit();

    // A fragments of q while the copies fly: row g is head kvh*G + g, row g + 8 head kvh*G + g + 8; rows past G are zero.
    const bool has_a = g < G, has_b = g + 8 < G;
    const bf16* qa = q + (size_t)s * q_stride + (size_t)(kvh * G + g) * D + 2 * t4;
    const bf16* qb = qa + 8 * D;
    u32 qf[KS][4];
#pragma unroll
    for (int kk = 0; kk < KS; kk++)
    {
        qf[kk][0] = has_a ? *(const u32*)(qa + kk * 16) : 0u;
        qf[kk][1] = has_b ? *(const u32*)(qb + kk * 16) : 0u;
        qf[kk][2] = has_a ? *(const u32*)(qa + kk * 16 + 8) : 0u;
        qf[kk][3] = has_b ? *(const u32*)(qb + kk * 16 + 8) : 0u;
    }
    const float sl2 = scale * 1.4426950408889634f;   // exp(x * scale) = exp2(x * sl2)

    float o[DT][4];
#pragma unroll
    for (int j = 0; j < DT; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    float m_a = NEG_INF, m_b = NEG_INF, l_a = 0.f, l_b = 0.f;

#pragma unroll 1
    for (int t = 0; t < tiles; t++)
    {
        cp_async_wait_one();
        __syncthreads();
        const bf16* Ks = Kb + (t & 1) * DTC_TILE * LD;
        const bf16* Vs = Vb + (t & 1) * DTC_TILE * LD;
        const int row0 = warp * 16, key0 = start + t * DTC_TILE + row0;
        if (key0 < end)
        {
            // S = Q K^T over 16 keys: two 8-key tiles; ldmatrix x4 gives b0, b1 of k-steps kk and kk + 1.
            float sc[2][4];
#pragma unroll
            for (int j = 0; j < 2; j++)
            {
                sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
                qk_tile_ldsm<KS>(sc[j], qf, smem_addr(Ks + (row0 + j * 8 + (lane & 7)) * LD + (lane >> 3) * 8));
            }

            // Online softmax in the exp2 domain (rows g and g + 8; the 4 lanes of a row share it).
            float mx_a = m_a, mx_b = m_b;
#pragma unroll
            for (int j = 0; j < 2; j++)
            {
                const int key = key0 + j * 8 + 2 * t4;
                sc[j][0] = key < end ? sc[j][0] * sl2 : NEG_INF;
                sc[j][1] = key + 1 < end ? sc[j][1] * sl2 : NEG_INF;
                sc[j][2] = key < end ? sc[j][2] * sl2 : NEG_INF;
                sc[j][3] = key + 1 < end ? sc[j][3] * sl2 : NEG_INF;
                mx_a = fmaxf(mx_a, fmaxf(sc[j][0], sc[j][1]));
                mx_b = fmaxf(mx_b, fmaxf(sc[j][2], sc[j][3]));
            }
            u32 pf[2][2];
            const float2 alpha = online_softmax_step<2>(sc, mx_a, mx_b, m_a, m_b, l_a, l_b, pf);
            const float alpha_a = alpha.x, alpha_b = alpha.y;

            // O = O * alpha + P V: P's accumulator layout is the A fragment; V by ldmatrix.trans gives b0, b1 of two
            // output tiles at once.
            const u32 vbase = smem_addr(Vs + (row0 + ((lane >> 3) & 1) * 8 + (lane & 7)) * LD + (lane >> 4) * 8);
#pragma unroll
            for (int j = 0; j < DT; j += 2)
            {
                u32 b0, b1, b2, b3;
                ldsm_x4_trans(b0, b1, b2, b3, vbase + j * 16);
                o[j][0] *= alpha_a;
                o[j][1] *= alpha_a;
                o[j][2] *= alpha_b;
                o[j][3] *= alpha_b;
                o[j + 1][0] *= alpha_a;
                o[j + 1][1] *= alpha_a;
                o[j + 1][2] *= alpha_b;
                o[j + 1][3] *= alpha_b;
                mma_bf16(o[j], pf[0][0], pf[0][1], pf[1][0], pf[1][1], b0, b1);
                mma_bf16(o[j + 1], pf[0][0], pf[0][1], pf[1][0], pf[1][1], b2, b3);
            }
        }
        __syncthreads();   // every warp is past its last ldmatrix of buffer t & 1
        if (t + 2 < tiles) load_tile(t + 2);
        cp_async_commit();
    }

    // Merge the warps through shared memory (the tiles' space: every warp is past its last ldmatrix after the
    // barrier). The merge and the reduce kernel work in the natural-exp domain: maxima go back from exp2's.
    constexpr float LN2 = 0.6931471805599453f;
    __syncthreads();
    float* red = (float*)dtc_smem;          // [4][G][D]
    float* wml = red + 4 * G * D;           // [4][G][2]
    if (has_a)
    {
#pragma unroll
        for (int j = 0; j < DT; j++)
        {
            red[(warp * G + g) * D + j * 8 + 2 * t4] = o[j][0];
            red[(warp * G + g) * D + j * 8 + 2 * t4 + 1] = o[j][1];
        }
        if (t4 == 0)
        {
            wml[(warp * G + g) * 2] = m_a * LN2;
            wml[(warp * G + g) * 2 + 1] = l_a;
        }
    }
    if (has_b)
    {
#pragma unroll
        for (int j = 0; j < DT; j++)
        {
            red[(warp * G + g + 8) * D + j * 8 + 2 * t4] = o[j][2];
            red[(warp * G + g + 8) * D + j * 8 + 2 * t4 + 1] = o[j][3];
        }
        if (t4 == 0)
        {
            wml[(warp * G + g + 8) * 2] = m_b * LN2;
            wml[(warp * G + g + 8) * 2 + 1] = l_b;
        }
    }
    __syncthreads();
    decode_merge_warps(red, wml, G, D, s, kvh, hq, split, nsplit, out, partial_acc, partial_ml);
}

#define DECODE_TC_KERNEL(D)                                                                                          \
    extern "C" __global__ void __launch_bounds__(DEC_THREADS) decode_attention_tc_d##D(                             \
        const bf16* q, int q_stride, bf16* out, float* partial_acc, float* partial_ml, const bf16* k_cache,          \
        const bf16* v_cache, const int* block_tables, int max_blocks, const int* context_lens, int hq, int hkv,      \
        int block_size, float scale, int part)                                                                       \
    {                                                                                                                \
        decode_attention_tc_impl<D>(q, q_stride, out, partial_acc, partial_ml, k_cache, v_cache, block_tables,       \
                                    max_blocks, context_lens, hq, hkv, block_size, scale, part);                     \
    }

DECODE_TC_KERNEL(64)
DECODE_TC_KERNEL(128)

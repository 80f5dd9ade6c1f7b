// Persistent single-token decode: every decoder layer of a stage in one launch, for Llama-family layers (no biases,
// no q/k norms, NeoX RoPE from the fp32 table, bf16 weights, head size 64 or 128, up to 8 q heads a KV head).
//
// Why: at one token a step the layers stream ~0.2 GB of weights each at the HBM rate, and with one kernel per op every
// kernel boundary (launch, ramp, drain, and the latency-bound norm, RoPE and attention kernels between the GEMVs) left
// the memory system idle for microseconds: 82% of the bandwidth floor (bench/cuda/KERNELS.md, session 7). Here one CTA
// per SM stays resident for the whole stage and each of its 8 warps streams its share of the weights through its own
// ring of 4 KB shared-memory slots, filled by bulk copies (cp.async.bulk, completion counted on an mbarrier per slot).
// Weights never depend on activations, so a warp refills its ring with the next phase's (or the next layer's) rows
// before it waits at a grid barrier: the copies stay in flight while the barrier and the small phases resolve.
//
// Per layer, with a grid barrier after each phase:
//   A  residual += hidden; x = rmsnorm(residual) * w_in;   qkv = x Wqkv^T
//   B  RoPE on q and k, the new token's K/V into the paged cache, attention over (kv head, partition) items; the
//      last partition of a kv head to finish merges them into attn
//   C  hidden = attn Wo^T
//   D  residual += hidden; x = rmsnorm(residual) * w_post; act = silu(x Wgate^T) * (x Wup^T)
//   E  hidden = act Wdown^T
// The residual stream lives in every CTA's shared memory (each CTA computes the same bf16 values from the same
// inputs); CTA 0 writes it back at the end, so the buffers hold what the per-op path leaves: hidden = the last layer's
// down projection, residual = the stream before it.
//
// The GEMVs add in gemv.cu's order (lane i takes 16-byte words i, i + 32, ...; matrices under 8192 rows as two halves
// summed from 0) and the norms in fused_add_rmsnorm's (its 512- or 256-thread reduction), so both give the per-op
// kernels' bits; attention merges its partitions in another order and RoPE may contract differently (close, not
// bit-identical). Data written earlier in this launch is read with ld.global.cg: L1 is not coherent across SMs.

#define DL_WARPS 8
#define DL_THREADS (DL_WARPS * 32)
#define DL_CHUNK 2048   // bf16 elements of one ring slot (4 KB)
#define DL_GMAX 8
#define DL_MAX_PARTITIONS 128   // context partitions a KV head (KernelLibrary.PersistentDecodeMaxPartitions)

// One layer's weights and cache, as the host writes them (8 device pointers).
struct DecodeLayer
{
    const bf16* input_norm;
    const bf16* qkv;
    const bf16* o;
    const bf16* post_norm;
    const bf16* gate_up;
    const bf16* down;
    bf16* k_cache;
    bf16* v_cache;
};

__device__ __forceinline__ uint4 ld_cg4(const void* p)
{
    uint4 v;
    asm volatile("ld.global.cg.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ float ld_cg_f32(const float* p)
{
    float v;
    asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ u32 ld_cg_u32(const void* p)
{
    u32 v;
    asm volatile("ld.global.cg.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ u32 ld_acquire_u32(const u32* p)
{
    u32 v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ u32 atom_add_u32(u32* p, u32 v)
{
    u32 old;
    asm volatile("atom.acq_rel.gpu.global.add.u32 %0, [%1], %2;" : "=r"(old) : "l"(p), "r"(v) : "memory");
    return old;
}

__device__ __forceinline__ void st_relaxed_u32(u32* p, u32 v)
{
    asm volatile("st.relaxed.gpu.global.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

// Every CTA of the grid arrives, then all go on. The arrival count only grows within a launch (barrier k waits for
// k * gridDim.x arrivals: one release-add and one acquire spin, no reset on the way), and the last CTA to leave the
// kernel sets it back to zero for the next launch (dl_grid_done). All CTAs are resident (one per SM, sized by the host).
__device__ __forceinline__ void dl_grid_barrier(u32* sync, u32& target)
{
    target += gridDim.x;
    __syncthreads();
    if (threadIdx.x == 0)
    {
        // Release: this CTA's writes, ordered before by the __syncthreads, are visible to whoever sees the arrival.
        asm volatile("red.release.gpu.global.add.u32 [%0], 1;" ::"l"(sync) : "memory");
        while ((int)(ld_acquire_u32(sync) - target) < 0) {}
    }
    __syncthreads();
}

// At the kernel's end: the last CTA out zeroes the arrival count (every CTA has passed every barrier by then).
__device__ __forceinline__ void dl_grid_done(u32* sync)
{
    __syncthreads();
    if (threadIdx.x == 0 && atom_add_u32(sync + 32, 1u) == gridDim.x - 1)
    {
        st_relaxed_u32(sync, 0u);
        st_relaxed_u32(sync + 32, 0u);
    }
}

// Timing knobs of the bench (bench/CudaCheck): each leaves a stage out, so the output is wrong; 0 in production.
#define DL_NO_ATTENTION 1   // phase B does nothing
#define DL_NO_BARRIERS 2    // phases end with a CTA barrier, not a grid barrier
#define DL_NO_MATH 4        // the GEMVs wait for their chunks and release them without the dot products

__device__ __forceinline__ void dl_phase_end(u32* sync, u32& target, int flags)
{
    if (flags & DL_NO_BARRIERS) __syncthreads();
    else dl_grid_barrier(sync, target);
}

// mbarrier and bulk-copy helpers (sm_90).
// Only sm_90+ has them; the host launches this kernel only there (older arches get a trap, and compile).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define DL_SM90 1
#else
#define DL_SM90 0
#endif

__device__ __forceinline__ void mbar_init(u32 bar, u32 count)
{
#if DL_SM90
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
#endif
}

__device__ __forceinline__ void mbar_wait(u32 bar, u32 parity)
{
#if DL_SM90
    u32 done;
    do
    {
        asm volatile("{\n\t.reg .pred p;\n\tmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n\tselp.u32 %0, 1, 0, p;\n\t}"
                     : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    } while (done == 0);
#endif
}

// bytes from global src into shared dst (both 16-byte aligned, bytes a multiple of 16); the slot's mbarrier completes
// its phase when they have landed.
__device__ __forceinline__ void bulk_load(u32 dst, const void* src, u32 bytes, u32 bar)
{
#if DL_SM90
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // this slot's earlier generic reads come first
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                 ::"r"(dst), "l"(src), "r"(bytes), "r"(bar) : "memory");
#endif
}

// Shapes of the four weight streams of a layer: phase 0 qkv, 1 o, 2 gate_up (units of a gate row and its up row), 3 down.
struct DlDims
{
    int H, I, nqkv, qw;
    __device__ __forceinline__ int rows(int p) const { return p == 0 ? nqkv : p == 2 ? I : H; }
    __device__ __forceinline__ int cols(int p) const { return p == 1 ? qw : p == 3 ? I : H; }
};

// Position in a warp's weight stream: (layer, phase, row, chunk of the row or unit). layer < 0: the stream is done.
struct DlCursor
{
    int layer, phase, row, chunk;
};

// From (layer, phase) with row = the warp's first row, on to the first phase that has a row for this warp.
__device__ __forceinline__ void dl_settle(DlCursor& c, const DlDims& d, int gw, int layers)
{
    while (c.layer >= 0 && c.row >= d.rows(c.phase))
    {
        c.row = gw;
        c.chunk = 0;
        if (++c.phase == 4)
        {
            c.phase = 0;
            if (++c.layer == layers) c.layer = -1;
        }
    }
}

__device__ __forceinline__ void dl_advance(DlCursor& c, const DlDims& d, int gw, int W, int layers)
{
    const int chunks = (d.cols(c.phase) + DL_CHUNK - 1) / DL_CHUNK;
    if (++c.chunk < (c.phase == 2 ? 2 * chunks : chunks)) return;
    c.chunk = 0;
    c.row += W;
    dl_settle(c, d, gw, layers);
}

// A warp's ring: slots it consumes in order; the copy for chunk seq + nslot is issued when chunk seq is consumed.
struct DlRing
{
    u32 slots;   // shared address of this warp's first slot
    u32 bars;    // shared address of its first mbarrier
    const uint4* data;
    int nslot, slot;
    u32 parity;
    DlCursor next;
};

// Global address and bytes of the cursor's chunk.
__device__ __forceinline__ const bf16* dl_chunk_source(const DlCursor& c, const DecodeLayer* layers, const DlDims& d, u32& bytes)
{
    const DecodeLayer* L = layers + c.layer;
    const int K = d.cols(c.phase);
    const int chunks = (K + DL_CHUNK - 1) / DL_CHUNK;
    int ch = c.chunk, row = c.row;
    if (c.phase == 2 && ch >= chunks)
    {
        ch -= chunks;
        row += d.I;   // the up row of the unit
    }
    const bf16* base = c.phase == 0 ? L->qkv : c.phase == 1 ? L->o : c.phase == 2 ? L->gate_up : L->down;
    bytes = (u32)min(DL_CHUNK, K - ch * DL_CHUNK) * 2u;
    return base + (size_t)row * K + (size_t)ch * DL_CHUNK;
}

// Lane 0 issues the copy of the cursor's chunk into `slot`, then every lane advances the cursor (warp-uniform).
__device__ __forceinline__ void dl_issue(DlRing& r, int slot, const DecodeLayer* layers, const DlDims& d, int gw, int W, int nl)
{
    DlCursor& c = r.next;
    if (c.layer < 0) return;
    if ((threadIdx.x & 31) == 0)
    {
        u32 bytes;
        const bf16* src = dl_chunk_source(c, layers, d, bytes);
        bulk_load(r.slots + (u32)slot * (DL_CHUNK * 2), src, bytes, r.bars + (u32)slot * 8);
    }
    dl_advance(c, d, gw, W, nl);
}

// Waits for the next chunk of the stream; returns its slot's data.
__device__ __forceinline__ const uint4* dl_acquire(const DlRing& r)
{
    mbar_wait(r.bars + (u32)r.slot * 8, r.parity);
    return r.data + (size_t)r.slot * (DL_CHUNK / 8);
}

// Done with the current chunk: its slot takes the chunk nslot ahead.
__device__ __forceinline__ void dl_release(DlRing& r, const DecodeLayer* layers, const DlDims& d, int gw, int W, int nl)
{
    __syncwarp();
    dl_issue(r, r.slot, layers, d, gw, W, nl);
    if (++r.slot == r.nslot)
    {
        r.slot = 0;
        r.parity ^= 1u;
    }
}

// acc_lo/acc_hi += w . x over one chunk; words of the row from `per` on go to acc_hi (the second half of a split row).
__device__ __forceinline__ void dl_dot_chunk(const uint4* __restrict__ w, const uint4* __restrict__ x4, int n8, int base8, int per,
                                             float& acc_lo, float& acc_hi)
{
    const int lane = threadIdx.x & 31;
#pragma unroll 8
    for (int i = lane; i < n8; i += 32)
    {
        float wf[8], xf[8];
        unpack8(w[i], wf);
        unpack8(x4[base8 + i], xf);
        if (base8 + i < per)
        {
#pragma unroll
            for (int j = 0; j < 8; j++) acc_lo += wf[j] * xf[j];
        }
        else
        {
#pragma unroll
            for (int j = 0; j < 8; j++) acc_hi += wf[j] * xf[j];
        }
    }
}

// One row's sums over its chunks from the ring (x in shared memory as bf16).
__device__ __forceinline__ void dl_row(DlRing& r, const uint4* x4, int K, int per, float& lo, float& hi, int flags, const DecodeLayer* layers,
                                       const DlDims& d, int gw, int W, int nl)
{
    const int k8 = K / 8;
    for (int base8 = 0; base8 < k8; base8 += DL_CHUNK / 8)
    {
        const uint4* w = dl_acquire(r);
        if (!(flags & DL_NO_MATH)) dl_dot_chunk(w, x4, min(DL_CHUNK / 8, k8 - base8), base8, per, lo, hi);
        dl_release(r, layers, d, gw, W, nl);
    }
}

// A GEMV phase: this warp's rows r = gw, gw + W, ... of phase p's matrix times x; bf16 out[r], or with p == 2
// out[r] = silu(gate_r) * up_r. Split rows (under 8192 rows, as KernelLibrary.GemvSplit) sum two halves from 0.
__device__ __forceinline__ void dl_gemv_phase(DlRing& r, int p, const uint4* x4, bf16* __restrict__ out, int flags, const DecodeLayer* layers,
                                              const DlDims& d, int gw, int W, int nl)
{
    const int K = d.cols(p), N = p == 2 ? 2 * d.I : d.rows(p);
    const bool split = N < 8192 && K >= 1024;
    const int k8 = K / 8;
    const int per = split ? (k8 + 1) / 2 : k8;
    for (int row = gw; row < d.rows(p); row += W)
    {
        float g0 = 0.f, g1 = 0.f;
        dl_row(r, x4, K, per, g0, g1, flags, layers, d, gw, W, nl);
        float v = split ? (0.f + warp_sum(g0)) + warp_sum(g1) : warp_sum(g0);
        if (p == 2)
        {
            float u0 = 0.f, u1 = 0.f;
            dl_row(r, x4, K, per, u0, u1, flags, layers, d, gw, W, nl);
            const float u = split ? (0.f + warp_sum(u0)) + warp_sum(u1) : warp_sum(u0);
            if ((threadIdx.x & 31) == 0)
            {
                const float gv = bf2f(f2bf(v)), uv = bf2f(f2bf(u));
                out[row] = f2bf(gv / (1.f + __expf(-gv)) * uv);
            }
        }
        else if ((threadIdx.x & 31) == 0)
        {
            out[row] = f2bf(v + 0.f);
        }
    }
}

// res += add (when add != 0), then x = rmsnorm(res) * w, in fused_add_rmsnorm's arithmetic: the sum rounded to bf16,
// the squares summed per (virtual) thread of its 512- or 256-thread launch, then by warps.
__device__ __forceinline__ void dl_add_norm(uint4* res_s, const bf16* add, const bf16* __restrict__ w, uint4* x_s, int H, float eps,
                                            float* scratch)
{
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int h8 = H / 8;
    const int VT = H >= 4096 ? 512 : 256;   // fused_add_rmsnorm's block size for this width
    float ss[2] = {0.f, 0.f};
#pragma unroll
    for (int v = 0; v < 2; v++)
    {
        if (v * DL_THREADS >= VT) break;
        for (int i = tid + v * DL_THREADS; i < h8; i += VT)
        {
            float a[8];
            if (add != 0)
            {
                float b[8];
                unpack8(ld_cg4((const uint4*)add + i), a);
                unpack8(res_s[i], b);
#pragma unroll
                for (int j = 0; j < 8; j++) a[j] += b[j];
                const uint4 packed = pack8(a);
                res_s[i] = packed;
                unpack8(packed, a);
            }
            else
            {
                unpack8(res_s[i], a);
            }
#pragma unroll
            for (int j = 0; j < 8; j++) ss[v] += a[j] * a[j];
        }
    }
    ss[0] = warp_sum(ss[0]);
    ss[1] = warp_sum(ss[1]);
    __syncthreads();
    if (lane == 0)
    {
        scratch[warp] = ss[0];
        if (VT > DL_THREADS) scratch[warp + DL_WARPS] = ss[1];
    }
    __syncthreads();
    float total = lane < VT / 32 ? scratch[lane] : 0.f;
    total = warp_sum(total);
    const float inv = rsqrtf(total / H + eps);
    for (int i = tid; i < h8; i += DL_THREADS)
    {
        float a[8], wf[8];
        unpack8(res_s[i], a);
        unpack8(((const uint4*)w)[i], wf);
#pragma unroll
        for (int j = 0; j < 8; j++) a[j] = a[j] * inv * wf[j];
        x_s[i] = pack8(a);
    }
    __syncthreads();
}

__device__ __forceinline__ void dl_load_x(uint4* x_s, const bf16* src, int n)
{
    for (int i = threadIdx.x; i < n / 8; i += DL_THREADS) x_s[i] = ld_cg4((const uint4*)src + i);
    __syncthreads();
}

#define DL_PRELOAD 2   // token rounds of K/V a thread loads before the qkv barrier (32 keys at head size 128)

// The cached K/V of an item's first DL_PRELOAD rounds of tokens, loaded before the grid barrier that ends phase A:
// they are earlier steps' (only the new token's row, at pos, is written in this launch, and it is left out), so their
// HBM latency overlaps the barrier instead of following it.
template <int D>
__device__ __forceinline__ void dl_kv_preload(int kvh, int p, int P, int L, int pos, const DecodeLayer* Lw, const int* __restrict__ block_table,
                                              int hkv, int block_size, uint4 (&kp)[DL_PRELOAD], uint4 (&vp)[DL_PRELOAD])
{
    constexpr int TPT = D / 8, TOK = DL_THREADS / TPT;
    const int part = (L + P - 1) / P;
    const int start = p * part, end = min(L, start + part);
    const int bs_shift = __ffs(block_size) - 1, bs_mask = block_size - 1;
    const int c8 = threadIdx.x % TPT, grp = threadIdx.x / TPT;
#pragma unroll
    for (int r = 0; r < DL_PRELOAD; r++)
    {
        const int t = start + r * TOK + grp;
        kp[r] = vp[r] = make_uint4(0, 0, 0, 0);
        if (t < end && t != pos)
        {
            const int blk = block_table[t >> bs_shift];
            const size_t off = ((((size_t)blk * hkv + kvh) << bs_shift) + (t & bs_mask)) * D + c8 * 8;
            kp[r] = ld_cg4(Lw->k_cache + off);
            vp[r] = ld_cg4(Lw->v_cache + off);
        }
    }
}

// Phase B for one (kv head, partition) item: q of the group rotated, rounded to bf16 and scaled; the partition's keys
// split over the warps' 16-thread token groups with an online softmax per head, as decode_attention.cu; then this
// partition's (max, sum, sum p*v) per head, and the last of the kv head's partitions to arrive merges them into attn.
template <int D>
__device__ void dl_attention_item(int kvh, int p, int P, int L, int pos, int slot, const bf16* qkv, const float* __restrict__ cos_sin,
                                  const DecodeLayer* Lw, const int* __restrict__ block_table, int hq, int hkv, int block_size,
                                  float scale, float* __restrict__ part_acc, float* __restrict__ part_ml, u32* head_count,
                                  bf16* __restrict__ attn, float* smem, bool preloaded, const uint4 (&kp)[DL_PRELOAD],
                                  const uint4 (&vp)[DL_PRELOAD])
{
    constexpr int TPT = D / 8, TOK = DL_THREADS / TPT, HALF = D / 2;
    const int tid = threadIdx.x;
    const int G = hq / hkv;
    const int part = (L + P - 1) / P;
    const int start = p * part, end = min(L, start + part);
    const int bs_shift = __ffs(block_size) - 1, bs_mask = block_size - 1;
    float* q_s = smem;                    // [G][D]
    float* red = q_s + G * D;             // [8 warps][G][D]
    float* wml = red + DL_WARPS * G * D;  // [8 warps][G][2]
    __shared__ int is_last;

    const float* cs = cos_sin + (size_t)pos * D;
    for (int i = tid; i < G * HALF; i += DL_THREADS)
    {
        const int g = i / HALF, e = i % HALF;
        const bf16* x = qkv + (size_t)(kvh * G + g) * D;
        const float a = bf2f((bf16)(ld_cg_u32(x + (e & ~1)) >> ((e & 1) * 16)));
        const float b = bf2f((bf16)(ld_cg_u32(x + HALF + (e & ~1)) >> ((e & 1) * 16)));
        const float c = cs[e], s = cs[HALF + e];
        q_s[g * D + e] = bf2f(f2bf(a * c - b * s)) * scale;
        q_s[g * D + HALF + e] = bf2f(f2bf(b * c + a * s)) * scale;
    }
    // The partition that holds the new token writes its K (rotated) and V into the cache before reading them.
    const int writer = part > 0 ? min(P - 1, pos / part) : P - 1;
    if (p == writer && slot >= 0)
    {
        const size_t at = ((((size_t)(slot >> bs_shift) * hkv + kvh) << bs_shift) + (slot & bs_mask)) * D;
        const bf16* k = qkv + (size_t)(hq + kvh) * D;
        const bf16* v = qkv + (size_t)(hq + hkv + kvh) * D;
        for (int e = tid; e < HALF; e += DL_THREADS)
        {
            const float a = bf2f((bf16)(ld_cg_u32(k + (e & ~1)) >> ((e & 1) * 16)));
            const float b = bf2f((bf16)(ld_cg_u32(k + HALF + (e & ~1)) >> ((e & 1) * 16)));
            const float c = cs[e], s = cs[HALF + e];
            Lw->k_cache[at + e] = f2bf(a * c - b * s);
            Lw->k_cache[at + HALF + e] = f2bf(b * c + a * s);
        }
        for (int e = tid; e < D / 8; e += DL_THREADS) ((uint4*)(Lw->v_cache + at))[e] = ld_cg4((const uint4*)v + e);
    }
    __syncthreads();

    float m[DL_GMAX], l[DL_GMAX], acc[DL_GMAX][8];
    clear_softmax_state<DL_GMAX>(m, l, acc);
    const int c8 = tid % TPT, grp = tid / TPT;
    const int n = end - start;
    const int rounds = n > 0 ? (n + TOK - 1) / TOK : 0;   // the same for every thread: shuffles stay converged
    for (int r0 = 0; r0 < rounds; r0++)
    {
        const int t = start + r0 * TOK + grp;
        uint4 kr = make_uint4(0, 0, 0, 0), vr = make_uint4(0, 0, 0, 0);
        bool have = false;
#pragma unroll
        for (int r = 0; r < DL_PRELOAD; r++)
        {
            if (preloaded && r == r0 && t != pos)
            {
                kr = kp[r];
                vr = vp[r];
                have = true;
            }
        }
        if (t < end && !have)
        {
            const int blk = block_table[t >> bs_shift];
            const size_t off = ((((size_t)blk * hkv + kvh) << bs_shift) + (t & bs_mask)) * D + c8 * 8;
            // The new token's row was written by this CTA in this launch: read it past L1 like the rest.
            kr = ld_cg4(Lw->k_cache + off);
            vr = ld_cg4(Lw->v_cache + off);
        }
        float k[8], v[8];
        unpack8(kr, k);
        unpack8(vr, v);
#pragma unroll
        for (int g = 0; g < DL_GMAX; g++)
        {
            if (g < G)
            {
                const float* qg = q_s + g * D + c8 * 8;
                float sc = 0.f;
#pragma unroll
                for (int j = 0; j < 8; j++) sc += qg[j] * k[j];
#pragma unroll
                for (int o = TPT / 2; o > 0; o >>= 1) sc += __shfl_xor_sync(0xffffffffu, sc, o);
                if (t < end)
                {
                    const float mx = fmaxf(m[g], sc);
                    const float alpha = __expf(m[g] - mx);
                    const float pr = __expf(sc - mx);
                    l[g] = l[g] * alpha + pr;
#pragma unroll
                    for (int j = 0; j < 8; j++) acc[g][j] = acc[g][j] * alpha + pr * v[j];
                    m[g] = mx;
                }
            }
        }
    }
    // Merge the token groups of each warp, then the warps through shared memory.
    store_warp_softmax_state<DL_GMAX, TPT>(m, l, acc, G, D, red, wml);
    __syncthreads();
    for (int i = tid; i < G * D; i += DL_THREADS)
    {
        const int g = i / D, dd = i % D;
        float M = NEG_INF;
#pragma unroll
        for (int w = 0; w < DL_WARPS; w++) M = fmaxf(M, wml[(w * G + g) * 2]);
        float sum = 0.f, total = 0.f;
#pragma unroll
        for (int w = 0; w < DL_WARPS; w++)
        {
            const float mw = wml[(w * G + g) * 2];
            const float wt = mw == NEG_INF ? 0.f : __expf(mw - M);
            sum += red[(w * G + g) * D + dd] * wt;
            total += wml[(w * G + g) * 2 + 1] * wt;
        }
        const int h = kvh * G + g;
        part_acc[((size_t)h * P + p) * D + dd] = sum;
        if (dd == 0)
        {
            part_ml[((size_t)h * P + p) * 2] = M;
            part_ml[((size_t)h * P + p) * 2 + 1] = total;
        }
    }
    // Arrive; the kv head's last partition merges (its counter reset for the next layer).
    __syncthreads();
    if (tid == 0)
    {
        // acq_rel: publishes this CTA's partials (ordered before by the __syncthreads) and, for the last, acquires the others'.
        const u32 before = atom_add_u32(head_count, 1u);
        is_last = before == (u32)(P - 1);
        if (is_last) st_relaxed_u32(head_count, 0u);
    }
    __syncthreads();
    if (!is_last) return;
    // The valid partitions' (max, sum) pairs of the group's heads into shared memory once (the warps' sums are merged:
    // `red` is free), as per-partition weights exp(m_j - M) and the total; then every output element's loads of the
    // partitions' sums are independent of each other.
    const int valid = part > 0 ? min(P, (L + part - 1) / part) : 0;
    float* wts = red;                     // [G][valid]
    float* sums = red + G * valid;        // [G][valid]
    float* totals = red + 2 * G * valid;  // [G]; all within red's 8 G D floats as valid <= DL_MAX_PARTITIONS
    for (int i = tid; i < G * valid; i += DL_THREADS)
    {
        const int g = i / valid, j = i % valid;
        wts[i] = ld_cg_f32(part_ml + ((size_t)(kvh * G + g) * P + j) * 2);
        sums[i] = ld_cg_f32(part_ml + ((size_t)(kvh * G + g) * P + j) * 2 + 1);
    }
    __syncthreads();
    if (tid < G)
    {
        float M = NEG_INF;
        for (int j = 0; j < valid; j++) M = fmaxf(M, wts[tid * valid + j]);
        float total = 0.f;
        for (int j = 0; j < valid; j++)
        {
            const float mj = wts[tid * valid + j];
            const float wt = mj == NEG_INF ? 0.f : __expf(mj - M);
            total += sums[tid * valid + j] * wt;
            wts[tid * valid + j] = wt;
        }
        totals[tid] = total;
    }
    __syncthreads();
    for (int i = tid; i < G * D; i += DL_THREADS)
    {
        const int g = i / D, dd = i % D;
        const int h = kvh * G + g;
        float sum = 0.f;
#pragma unroll 8
        for (int j = 0; j < valid; j++) sum += ld_cg_f32(part_acc + ((size_t)h * P + j) * D + dd) * wts[g * valid + j];
        attn[(size_t)h * D + dd] = totals[g] > 0.f ? f2bf(sum / totals[g]) : (bf16)0;
    }
}

// Dynamic shared memory (the host's PersistentDecodeSharedBytes): nslot 4 KB slots for each warp, then x (or the
// attention scratch), the residual stream, the slots' mbarriers, and 32 floats for reductions.
template <int D>
__device__ void decode_layers_impl(const DecodeLayer* __restrict__ layers, int num_layers, int residual_holds_input,
                                   bf16* hidden, bf16* residual, bf16* qkv, bf16* attn, bf16* act,
                                   float* part_acc, float* part_ml, u32* sync,
                                   const int* __restrict__ positions, const int* __restrict__ slots, const int* __restrict__ block_tables,
                                   const int* __restrict__ context_lens, const float* __restrict__ cos_sin,
                                   int H, int I, int hq, int hkv, int block_size, float eps, float scale, int nslot, int x_bytes, int flags)
{
#if !DL_SM90
    asm volatile("trap;");
#endif
    extern __shared__ uint4 dl_smem[];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int gw = blockIdx.x * DL_WARPS + warp, W = gridDim.x * DL_WARPS;
    DlDims d;
    d.H = H;
    d.I = I;
    d.nqkv = (hq + 2 * hkv) * D;
    d.qw = hq * D;

    unsigned char* base = (unsigned char*)dl_smem;
    const size_t ring_bytes = (size_t)DL_WARPS * nslot * DL_CHUNK * 2;
    uint4* x_s = (uint4*)(base + ring_bytes);
    uint4* res_s = (uint4*)(base + ring_bytes + x_bytes);
    unsigned long long* bars = (unsigned long long*)(base + ring_bytes + x_bytes + (size_t)H * 2);
    float* scratch = (float*)(bars + DL_WARPS * nslot);

    DlRing ring;
    ring.data = (const uint4*)(base + (size_t)warp * nslot * DL_CHUNK * 2);
    ring.slots = smem_addr(ring.data);
    ring.bars = smem_addr(bars + warp * nslot);
    ring.nslot = nslot;
    ring.slot = 0;
    ring.parity = 0;
    ring.next.layer = 0;
    ring.next.phase = 0;
    ring.next.row = gw;
    ring.next.chunk = 0;
    dl_settle(ring.next, d, gw, num_layers);
    if (lane == 0)
    {
        for (int s = 0; s < nslot; s++) mbar_init(ring.bars + (u32)s * 8, 1);
    }
    __syncwarp();
    // The first weights stream in before the previous kernel (the embedding, or the previous stage's receive) is done.
    for (int s = 0; s < nslot; s++) dl_issue(ring, s, layers, d, gw, W, num_layers);
    grid_dependency_wait();

    for (int i = tid; i < H / 8; i += DL_THREADS) res_s[i] = ld_cg4((const uint4*)residual + i);
    __syncthreads();

    const int L = context_lens[0], pos = positions[0], slot = slots[0];
    u32 target = 0;   // arrivals the next grid barrier waits for
    const int P = min(DL_MAX_PARTITIONS, max(1, (int)gridDim.x / hkv));
    const int* table = block_tables;   // sequence 0's row
    for (int layer = 0; layer < num_layers; layer++)
    {
        const DecodeLayer* Lw = layers + layer;
        // A: norm, qkv
        dl_add_norm(res_s, layer == 0 && residual_holds_input ? (const bf16*)0 : hidden, Lw->input_norm, x_s, H, eps, scratch);
        dl_gemv_phase(ring, 0, x_s, qkv, flags, layers, d, gw, W, num_layers);
        uint4 kp[DL_PRELOAD], vp[DL_PRELOAD];
        const bool preloaded = blockIdx.x < hkv * P && !(flags & DL_NO_ATTENTION);
        if (preloaded) dl_kv_preload<D>(blockIdx.x / P, blockIdx.x % P, P, L, pos, Lw, table, hkv, block_size, kp, vp);
        dl_phase_end(sync, target, flags);
        // B: attention
        for (int item = (flags & DL_NO_ATTENTION) ? hkv * P : blockIdx.x; item < hkv * P; item += gridDim.x)
        {
            dl_attention_item<D>(item / P, item % P, P, L, pos, slot, qkv, cos_sin, Lw, table, hq, hkv, block_size, scale, part_acc, part_ml,
                                 sync + 64 + 32 * (item / P), attn, (float*)x_s, preloaded && item == (int)blockIdx.x, kp, vp);
            __syncthreads();
        }
        dl_phase_end(sync, target, flags);
        // C: o_proj
        dl_load_x(x_s, attn, d.qw);
        dl_gemv_phase(ring, 1, x_s, hidden, flags, layers, d, gw, W, num_layers);
        dl_phase_end(sync, target, flags);
        // D: norm, gate_up + SiLU
        dl_add_norm(res_s, hidden, Lw->post_norm, x_s, H, eps, scratch);
        dl_gemv_phase(ring, 2, x_s, act, flags, layers, d, gw, W, num_layers);
        dl_phase_end(sync, target, flags);
        // E: down
        dl_load_x(x_s, act, I);
        if (layer == num_layers - 1) allow_dependents();
        dl_gemv_phase(ring, 3, x_s, hidden, flags, layers, d, gw, W, num_layers);
        if (layer < num_layers - 1) dl_phase_end(sync, target, flags);
    }
    if (blockIdx.x == 0)
    {
        for (int i = tid; i < H / 8; i += DL_THREADS) ((uint4*)residual)[i] = res_s[i];
    }
    dl_grid_done(sync);
}

#define DECODE_LAYERS_KERNEL(D)                                                                                         \
    extern "C" __global__ void __launch_bounds__(DL_THREADS, 1) decode_layers_d##D(                                     \
        const DecodeLayer* layers, int num_layers, int residual_holds_input, bf16* hidden, bf16* residual, bf16* qkv,    \
        bf16* attn, bf16* act, float* part_acc, float* part_ml, u32* sync, const int* positions, const int* slots,        \
        const int* block_tables, const int* context_lens, const float* cos_sin, int H, int I, int hq, int hkv,           \
        int block_size, float eps, float scale, int nslot, int x_bytes, int flags)                                       \
    {                                                                                                                   \
        decode_layers_impl<D>(layers, num_layers, residual_holds_input, hidden, residual, qkv, attn, act, part_acc,     \
                              part_ml, sync, positions, slots, block_tables, context_lens, cos_sin, H, I, hq, hkv,       \
                              block_size, eps, scale, nslot, x_bytes, flags);                                            \
    }

DECODE_LAYERS_KERNEL(64)
DECODE_LAYERS_KERNEL(128)

// Sampled tokens drawn where the logits are: temperature, top-k, top-p (over the top-k set), min-p, seeded per row.
// The draw is defined by the host's DeviceDraw (shared/Inference/Sampling/DeviceDraw.cs) and must pick its token
// exactly, so every quantity here is computed as it computes it: weights by a fixed sequence of round-to-nearest float
// operations (__fmul_rn / __fsub_rn / fmaf: no contraction, no library exp), masses as integers (weight x 2^40, so the
// order of the atomic additions cannot matter), thresholds as order-preserving integer keys of the logits (radix
// selection, 8 bits a pass), the uniform number as StepRandom's SplitMix64, the token by an index-order scan.
//
// grid: rows; block 1024. logits: [rows, vocab] fp32; args: one DrawArgs (32 bytes, DeviceDrawParams) a row;
// tokens: [rows], -1 for a row whose logits are all -inf or hold a NaN.

#define DRAW_THREADS 1024

struct DrawArgs
{
    unsigned long long seed;
    long long step;
    float inv_temperature; // 0: arg-max
    int top_k;             // 0 or >= vocab: off
    float top_p;           // 1: off
    float min_p;           // 0: off
};

__device__ __forceinline__ u32 draw_key(float x)
{
    const u32 bits = __float_as_uint(x);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return 0xFFFFFFFFu; // NaN of either sign: above +inf
    return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

__device__ __forceinline__ float draw_from_key(u32 key)
{
    return __uint_as_float((key & 0x80000000u) ? key & 0x7FFFFFFFu : ~key);
}

// DeviceDraw.Weight: e^s for s <= 0 (0 below -87): n = round(s / ln 2), r = s - n ln 2 (Cody-Waite, two FMAs),
// Taylor polynomial of e^r, times 2^n.
__device__ __forceinline__ float draw_weight(float s)
{
    if (!(s > -87.f)) return 0.f;
    const float n = floorf(__fadd_rn(__fmul_rn(s, 1.44269504f), 0.5f));
    float r = fmaf(-n, 0.693359375f, s);
    r = fmaf(-n, -2.12194440e-4f, r);
    float p = 0.000198412698f;
    p = fmaf(p, r, 0.00138888889f);
    p = fmaf(p, r, 0.00833333333f);
    p = fmaf(p, r, 0.0416666667f);
    p = fmaf(p, r, 0.166666667f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.f);
    p = fmaf(p, r, 1.f);
    return __fmul_rn(p, __int_as_float(((int)n + 127) << 23));
}

__device__ __forceinline__ unsigned long long draw_mass(float w) { return __float2ull_rz(__fmul_rn(w, 1099511627776.f)); }

// (x - max) / T as DeviceDraw rounds it.
__device__ __forceinline__ float draw_row_weight(float x, float max, float inv_t) { return draw_weight(__fmul_rn(__fsub_rn(x, max), inv_t)); }

// StepRandom.Uniform(seed, step).
__device__ __forceinline__ unsigned long long draw_mix(unsigned long long z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ double draw_uniform(unsigned long long seed, long long step)
{
    const unsigned long long z = draw_mix(seed ^ draw_mix((unsigned long long)step + 0x9E3779B97F4A7C15ull));
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

// Block-wide reductions of the 32 warps through shared memory (every thread gets the result).
__device__ __forceinline__ u32 draw_block_max(u32 v, u32* scratch)
{
    for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
    __syncthreads();
    v = scratch[threadIdx.x & 31];
    for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ unsigned long long draw_block_sum(unsigned long long v, unsigned long long* scratch)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
    __syncthreads();
    v = scratch[threadIdx.x & 31];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// The sum of v over the threads before this one (thread order), and the block's total in *total.
__device__ __forceinline__ unsigned long long draw_exclusive_scan(unsigned long long v, unsigned long long* scratch, unsigned long long* total)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    unsigned long long inc = v;
    for (int o = 1; o < 32; o <<= 1)
    {
        const unsigned long long up = __shfl_up_sync(0xffffffffu, inc, o);
        if (lane >= o) inc += up;
    }
    __syncthreads();
    if (lane == 31) scratch[warp] = inc;
    __syncthreads();
    unsigned long long before = 0, all = 0;
    for (int w = 0; w < DRAW_THREADS / 32; w++)
    {
        if (w < warp) before += scratch[w];
        all += scratch[w];
    }
    *total = all;
    return before + inc - v;
}

// Adds this lane's element to bucket b of the shared histograms (b < 0: none). Most keys of a row share their top
// bytes, so plain atomics would pile 1024 threads onto two or three addresses (run 39: top-p took 4.4 ms for 256
// rows); lanes of a warp with the same bucket are summed first and their lowest lane adds once. Every lane of the
// warp must call it (the callers' loops run the same trip count in every lane). Integer sums: exact in any order.
__device__ __forceinline__ void draw_histogram_add(u32* count, unsigned long long* mass, int b, unsigned long long m)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const unsigned group = __match_any_sync(0xffffffffu, b);
    // A mass is at most 2^40: 24 low bits and 17 high bits, each summed over 32 lanes without overflow.
    const unsigned lo = __reduce_add_sync(group, (unsigned)(m & 0xFFFFFFull));
    const unsigned hi = __reduce_add_sync(group, (unsigned)(m >> 24));
    if (b >= 0 && (threadIdx.x & 31) == (unsigned)(__ffs(group) - 1))
    {
        atomicAdd(&count[b], (u32)__popc(group));
        atomicAdd(&mass[b], ((unsigned long long)hi << 24) + lo);
    }
#else
    if (b >= 0)
    {
        atomicAdd(&count[b], 1u);
        atomicAdd(&mass[b], m);
    }
#endif
}

extern "C" __global__ void __launch_bounds__(DRAW_THREADS) sample_rows(const float* __restrict__ logits, int vocab,
                                                                       const DrawArgs* __restrict__ args, int* __restrict__ tokens)
{
    __shared__ u32 count[256];
    __shared__ unsigned long long mass[256];
    __shared__ unsigned long long scratch64[32];
    __shared__ u32 scratch32[32];
    __shared__ u32 chosen;
    __shared__ unsigned long long carried;
    dependent_launch_entry();
    const int row = blockIdx.x, tid = threadIdx.x;
    const float* x = logits + (size_t)row * vocab;
    const DrawArgs a = args[row];

    u32 max_key = 0;
    for (int i = tid; i < vocab; i += DRAW_THREADS) max_key = max(max_key, draw_key(x[i]));
    max_key = draw_block_max(max_key, scratch32);
    if (max_key > draw_key(__int_as_float(0x7f800000)) || max_key == draw_key(__int_as_float((int)0xff800000u)))
    {
        if (tid == 0) tokens[row] = -1;
        return;
    }

    if (a.inv_temperature == 0.f)
    {
        // Arg-max, lowest index on ties: the smallest index holding the largest key.
        u32 first = 0xffffffffu;
        for (int i = tid; i < vocab; i += DRAW_THREADS)
            if (draw_key(x[i]) == max_key) { first = i; break; }
        first = ~draw_block_max(~first, scratch32);
        if (tid == 0) tokens[row] = (int)first;
        return;
    }

    const float mx = draw_from_key(max_key);
    const float inv_t = a.inv_temperature;

    // Top-k: the k-th largest key, 8 bits a pass from the top.
    u32 threshold = 0;
    if (a.top_k > 0 && a.top_k < vocab)
    {
        u32 prefix = 0, mask = 0;
        u32 remaining = (u32)a.top_k;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            for (int b = tid; b < 256; b += DRAW_THREADS) count[b] = 0;
            __syncthreads();
            // Counts alone: plain atomics measured faster here than the warp-aggregated add (run 40: top-k 50 + top-p
            // 776 us for 256 rows with it, 560 us in run 39 without).
            for (int i = tid; i < vocab; i += DRAW_THREADS)
            {
                const u32 key = draw_key(x[i]);
                if ((key & mask) == prefix) atomicAdd(&count[(key >> shift) & 255u], 1u);
            }
            __syncthreads();
            if (tid == 0)
            {
                int b = 255;
                for (; b > 0; b--)
                {
                    if (count[b] >= remaining) break;
                    remaining -= count[b];
                }
                chosen = (u32)b;
                carried = remaining;
            }
            __syncthreads();
            prefix |= chosen << shift;
            mask |= 255u << shift;
            remaining = (u32)carried;
            __syncthreads();
        }
        threshold = prefix;
    }

    // Top-p over the top-k set: the largest key t with mass(key >= t) >= floor(top_p x the set's mass).
    if (a.top_p < 1.f)
    {
        unsigned long long local = 0;
        for (int i = tid; i < vocab; i += DRAW_THREADS)
        {
            const float v = x[i];
            if (draw_key(v) >= threshold) local += draw_mass(draw_row_weight(v, mx, inv_t));
        }
        const unsigned long long total = draw_block_sum(local, scratch64);
        const unsigned long long goal = (unsigned long long)((double)a.top_p * (double)total);
        u32 prefix = 0, mask = 0;
        unsigned long long above = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            for (int b = tid; b < 256; b += DRAW_THREADS) { count[b] = 0; mass[b] = 0; }
            __syncthreads();
            for (int base = 0; base < vocab; base += DRAW_THREADS)
            {
                const int i = base + tid;
                const float v = i < vocab ? x[i] : 0.f;
                const u32 key = draw_key(v);
                const bool in = i < vocab && key >= threshold && (key & mask) == prefix;
                draw_histogram_add(count, mass, in ? (int)((key >> shift) & 255u) : -1, in ? draw_mass(draw_row_weight(v, mx, inv_t)) : 0ull);
            }
            __syncthreads();
            if (tid == 0)
            {
                int b = 255;
                for (; b > 0; b--)
                {
                    if (count[b] > 0 && above + mass[b] >= goal) break;
                    above += mass[b];
                }
                chosen = (u32)b;
                carried = above;
            }
            __syncthreads();
            prefix |= chosen << shift;
            mask |= 255u << shift;
            above = carried;
            __syncthreads();
        }
        threshold = max(threshold, prefix);
    }

    // The draw: each thread owns a contiguous run of indices, so a scan of the threads' kept masses gives every
    // index's running mass in vocabulary order.
    const int per = (vocab + DRAW_THREADS - 1) / DRAW_THREADS;
    const int begin = min(vocab, tid * per), end = min(vocab, begin + per);
    unsigned long long local = 0;
    for (int i = begin; i < end; i++)
    {
        const float v = x[i];
        if (draw_key(v) < threshold) continue;
        const float w = draw_row_weight(v, mx, inv_t);
        if (a.min_p > 0.f && !(w >= a.min_p)) continue;
        local += draw_mass(w);
    }
    if (tid == 0) tokens[row] = -1; // overwritten by the thread that finds the token (the scan's barriers order the two)
    unsigned long long kept;
    unsigned long long running = draw_exclusive_scan(local, scratch64, &kept);
    unsigned long long target = __double2ull_rz(draw_uniform(a.seed, a.step) * __ull2double_rn(kept));
    target = min(target, kept - 1);
    if (running <= target && target < running + local)
    {
        for (int i = begin; i < end; i++)
        {
            const float v = x[i];
            if (draw_key(v) < threshold) continue;
            const float w = draw_row_weight(v, mx, inv_t);
            if (a.min_p > 0.f && !(w >= a.min_p)) continue;
            running += draw_mass(w);
            if (running > target)
            {
                tokens[row] = i;
                break;
            }
        }
    }
}

// Row-wise and element-wise kernels: embedding gather, fused residual-add + RMSNorm, SiLU-and-mul,
// bias add, last-row gather. All read and write bf16 with 16-byte accesses when the row length allows.

// out[t, :] = table[ids[t], :]; an id outside the vocabulary gives a zero row rather than a wild read.
extern "C" __global__ void embedding_gather(const bf16* __restrict__ table, const int* __restrict__ ids,
                                            bf16* __restrict__ out, int hidden, int vocab)
{
    dependent_launch_entry();
    const int t = blockIdx.x;
    const int id = ids[t];
    const bool ok = id >= 0 && id < vocab;
    const bf16* src = table + (size_t)(ok ? id : 0) * hidden;
    bf16* dst = out + (size_t)t * hidden;
    if ((hidden & 7) == 0)
    {
        for (int i = threadIdx.x; i < hidden / 8; i += blockDim.x)
            ((uint4*)dst)[i] = ok ? ((const uint4*)src)[i] : make_uint4(0, 0, 0, 0);
    }
    else
    {
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = ok ? src[i] : (bf16)0;
    }
}

// With add != 0: residual[t] = bf16(x[t] + residual[t]) and out[t] = rmsnorm(residual[t]) * w.
// With add == 0: out[t] = rmsnorm(x[t]) * w (residual untouched, may be null).
// The sum is rounded to bf16 before the norm, as the residual stream is stored in bf16.
extern "C" __global__ void fused_add_rmsnorm(const bf16* __restrict__ x, bf16* __restrict__ residual,
                                             const bf16* __restrict__ weight, bf16* __restrict__ out,
                                             int hidden, float eps, int add)
{
    early_dependent_launch_entry();
    __shared__ float scratch[32];
    const size_t row = (size_t)blockIdx.x * hidden;
    const bf16* xr = x + row;
    bf16* rr = residual + row;
    float ss = 0.f;
    if ((hidden & 7) == 0)
    {
        for (int i = threadIdx.x; i < hidden / 8; i += blockDim.x)
        {
            float a[8];
            unpack8(((const uint4*)xr)[i], a);
            if (add)
            {
                float b[8];
                unpack8(((const uint4*)rr)[i], b);
#pragma unroll
                for (int j = 0; j < 8; j++) a[j] += b[j];
                uint4 packed = pack8(a);
                ((uint4*)rr)[i] = packed;
                unpack8(packed, a);
            }
#pragma unroll
            for (int j = 0; j < 8; j++) ss += a[j] * a[j];
        }
    }
    else
    {
        for (int i = threadIdx.x; i < hidden; i += blockDim.x)
        {
            float a = bf2f(xr[i]);
            if (add)
            {
                bf16 s = f2bf(a + bf2f(rr[i]));
                rr[i] = s;
                a = bf2f(s);
            }
            ss += a * a;
        }
    }
    const float inv = rsqrtf(block_sum(ss, scratch) / hidden + eps);
    const bf16* src = add ? rr : xr;
    bf16* dst = out + row;
    // Each thread re-reads only the elements it wrote itself above, so no barrier is needed for `rr`.
    if ((hidden & 7) == 0)
    {
        for (int i = threadIdx.x; i < hidden / 8; i += blockDim.x)
        {
            float a[8], w[8];
            unpack8(((const uint4*)src)[i], a);
            unpack8(((const uint4*)weight)[i], w);
#pragma unroll
            for (int j = 0; j < 8; j++) a[j] = a[j] * inv * w[j];
            ((uint4*)dst)[i] = pack8(a);
        }
    }
    else
    {
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = f2bf(bf2f(src[i]) * inv * bf2f(weight[i]));
    }
}

// out[t, i] = silu(gate_up[t, i]) * gate_up[t, inter + i]  (gate and up halves of one fused GEMM output).
extern "C" __global__ void silu_and_mul(const bf16* __restrict__ gate_up, bf16* __restrict__ out, int inter, int tokens)
{
    dependent_launch_entry();
    if ((inter & 7) == 0)
    {
        const int per_row = inter / 8;
        const size_t total = (size_t)tokens * per_row;
        for (size_t v = (size_t)blockIdx.x * blockDim.x + threadIdx.x; v < total; v += (size_t)gridDim.x * blockDim.x)
        {
            const size_t t = v / per_row, c = v % per_row;
            const uint4* row = (const uint4*)(gate_up + t * 2 * inter);
            float g[8], u[8];
            unpack8(row[c], g);
            unpack8(row[per_row + c], u);
#pragma unroll
            for (int j = 0; j < 8; j++) g[j] = g[j] / (1.f + __expf(-g[j])) * u[j];
            ((uint4*)(out + t * inter))[c] = pack8(g);
        }
    }
    else
    {
        const size_t total = (size_t)tokens * inter;
        for (size_t v = (size_t)blockIdx.x * blockDim.x + threadIdx.x; v < total; v += (size_t)gridDim.x * blockDim.x)
        {
            const size_t t = v / inter, c = v % inter;
            const float g = bf2f(gate_up[t * 2 * inter + c]), u = bf2f(gate_up[t * 2 * inter + inter + c]);
            out[t * inter + c] = f2bf(g / (1.f + __expf(-g)) * u);
        }
    }
}

// x[t, n] += bias[n], for GEMMs whose bias the cuBLASLt epilogue did not take.
extern "C" __global__ void bias_add(bf16* __restrict__ x, const bf16* __restrict__ bias, int n, int rows)
{
    dependent_launch_entry();
    const size_t total = (size_t)rows * n;
    for (size_t v = (size_t)blockIdx.x * blockDim.x + threadIdx.x; v < total; v += (size_t)gridDim.x * blockDim.x)
        x[v] = f2bf(bf2f(x[v]) + bf2f(bias[v % n]));
}

// out[s, :] = in[rows[s], :]: the hidden state of each sequence's last token, before the LM head.
extern "C" __global__ void gather_rows(const bf16* __restrict__ in, const int* __restrict__ rows,
                                       bf16* __restrict__ out, int hidden)
{
    dependent_launch_entry();
    const int s = blockIdx.x;
    const bf16* src = in + (size_t)rows[s] * hidden;
    bf16* dst = out + (size_t)s * hidden;
    if ((hidden & 7) == 0)
        for (int i = threadIdx.x; i < hidden / 8; i += blockDim.x) ((uint4*)dst)[i] = ((const uint4*)src)[i];
    else
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = src[i];
}

// Format conversions at the host boundary and for tests: fp32 <-> bf16, and a deterministic fill.
extern "C" __global__ void f32_to_bf16(const float* __restrict__ in, bf16* __restrict__ out, size_t n)
{
    dependent_launch_entry();
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) out[i] = f2bf(in[i]);
}

extern "C" __global__ void bf16_to_f32(const bf16* __restrict__ in, float* __restrict__ out, size_t n)
{
    dependent_launch_entry();
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) out[i] = bf2f(in[i]);
}

extern "C" __global__ void f16_to_bf16(const unsigned short* __restrict__ in, bf16* __restrict__ out, size_t n)
{
    dependent_launch_entry();
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    {
        unsigned short h = in[i];
        float f;
        asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
        out[i] = f2bf(f);
    }
}

// Uniform values in [-scale, scale) from a hash of (seed, index): random weights made on the GPU for benchmarks.
extern "C" __global__ void fill_random_bf16(bf16* __restrict__ out, size_t n, unsigned long long seed, float scale)
{
    dependent_launch_entry();
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    {
        unsigned long long z = seed + i * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const float u = (float)(z >> 40) * (1.0f / 16777216.0f);
        out[i] = f2bf((2.f * u - 1.f) * scale);
    }
}

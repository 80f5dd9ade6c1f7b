// Greedy sampling with logprobs: a two-pass block reduction over the vocabulary.
// Pass 1 (grid S x chunks): each block finds its chunk's max logit (lowest index on ties) and the sum of
// exp(logit - chunk max). Pass 2 (grid S): merges the chunks; the chosen token's logprob is -log(sum exp(l - max)).
// logits: [S, vocab] fp32 (the LM head writes fp32).

#define ARGMAX_THREADS 256

__device__ __forceinline__ void better(float& v, int& i, float ov, int oi)
{
    if (ov > v || (ov == v && oi < i)) { v = ov; i = oi; }
}

extern "C" __global__ void __launch_bounds__(ARGMAX_THREADS) argmax_partial(const float* __restrict__ logits, int vocab,
                                                                           int chunk, float* __restrict__ part_max,
                                                                           int* __restrict__ part_idx, float* __restrict__ part_sum)
{
    dependent_launch_entry();
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ float scratch[32];
    const int s = blockIdx.x, c = blockIdx.y, nchunks = gridDim.y;
    const float* row = logits + (size_t)s * vocab;
    const int begin = c * chunk, end = min(vocab, begin + chunk);
    float v = NEG_INF;
    int idx = 0x7fffffff;
    for (int i = begin + threadIdx.x; i < end; i += blockDim.x) better(v, idx, row[i], i);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        better(v, idx, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, idx, o));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { sv[warp] = v; si[warp] = idx; }
    __syncthreads();
    v = lane < ARGMAX_THREADS / 32 ? sv[lane] : NEG_INF;
    idx = lane < ARGMAX_THREADS / 32 ? si[lane] : 0x7fffffff;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        better(v, idx, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, idx, o));
    float e = 0.f;
    for (int i = begin + threadIdx.x; i < end; i += blockDim.x) e += __expf(row[i] - v);
    e = block_sum(e, scratch);
    if (threadIdx.x == 0)
    {
        part_max[s * nchunks + c] = v;
        part_idx[s * nchunks + c] = idx;
        part_sum[s * nchunks + c] = e;
    }
}

extern "C" __global__ void argmax_final(const float* __restrict__ part_max, const int* __restrict__ part_idx,
                                        const float* __restrict__ part_sum, int nchunks,
                                        int* __restrict__ tokens, float* __restrict__ logprobs)
{
    dependent_launch_entry();
    const int s = blockIdx.x, lane = threadIdx.x;
    float v = NEG_INF;
    int idx = 0x7fffffff;
    for (int c = lane; c < nchunks; c += 32) better(v, idx, part_max[s * nchunks + c], part_idx[s * nchunks + c]);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        better(v, idx, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, idx, o));
    float e = 0.f;
    for (int c = lane; c < nchunks; c += 32) e += part_sum[s * nchunks + c] * __expf(part_max[s * nchunks + c] - v);
    e = warp_sum(e);
    if (lane == 0)
    {
        tokens[s] = idx;
        logprobs[s] = -__logf(e);
    }
}

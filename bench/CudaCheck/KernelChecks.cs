using LlmServe.Cuda.Blas;
using LlmServe.Cuda.Kernels;

namespace LlmServe.CudaCheck;

/// <summary>
/// Every kernel against a float64 CPU reference on fresh random inputs of several shapes (odd sizes, long
/// contexts), with outputs NaN-poisoned first so an unwritten element fails the check.
/// </summary>
internal sealed class KernelChecks(Gpu gpu, Report report)
{
    private const double Bf16Tol = 1.2e-2;
    private readonly RandomData _random = new(1234);

    public void RunAll()
    {
        Embedding();
        Norms();
        SiluAndMul();
        BiasAndGather();
        HeadNorm();
        RopeAndCache();
        DecodeAttention();
        PrefillAttention();
        Argmax();
        Gemm();
        gpu.FreeAll();
    }

    private float[] Rand(long n, float scale = 1f) => _random.Uniform(n, scale);

    private void Embedding()
    {
        foreach (var (vocab, hidden, tokens) in new[] { (1000, 64, 37), (3001, 100, 5), (32000, 4096, 9) })
        {
            var table = Rand((long)vocab * hidden);
            var ids = Enumerable.Range(0, tokens).Select(_ => _random.Rng.Next(vocab)).ToArray();
            ulong t = gpu.Bf16(table), i = gpu.Ints(ids), o = gpu.PoisonedBf16((long)tokens * hidden);
            gpu.Kernels.Embedding(gpu.Stream, t, i, o, tokens, hidden, vocab);
            var got = gpu.ReadBf16(o, (long)tokens * hidden);
            var want = new double[got.Length];
            for (int r = 0; r < tokens; r++)
            {
                for (int c = 0; c < hidden; c++)
                {
                    want[(r * hidden) + c] = table[((long)ids[r] * hidden) + c];
                }
            }

            var cmp = Compare.Of(got, want);
            report.Check($"embedding vocab={vocab} hidden={hidden} tokens={tokens}", cmp.Passes(0), cmp.ToString());
        }

        gpu.FreeAll();
    }

    private void Norms()
    {
        foreach (var (rows, hidden) in new[] { (13, 64), (3, 100), (7, 4096), (2, 5120), (1, 8) })
        {
            foreach (var add in new[] { false, true })
            {
                var x = Rand((long)rows * hidden);
                var res = Rand((long)rows * hidden);
                var w = Rand(hidden);
                ulong dx = gpu.Bf16(x), dr = gpu.Bf16(res), dw = gpu.Bf16(w), o = gpu.PoisonedBf16((long)rows * hidden);
                gpu.Kernels.AddRmsNorm(gpu.Stream, dx, add ? dr : 0, dw, o, rows, hidden, 1e-5f);
                var got = gpu.ReadBf16(o, (long)rows * hidden);
                var gotRes = gpu.ReadBf16(dr, (long)rows * hidden);
                var want = new double[got.Length];
                var wantRes = new double[got.Length];
                for (int r = 0; r < rows; r++)
                {
                    double ss = 0;
                    var v = new double[hidden];
                    for (int c = 0; c < hidden; c++)
                    {
                        int k = (r * hidden) + c;
                        v[c] = add ? Gpu.RoundBf16(x[k] + res[k]) : x[k];
                        wantRes[k] = add ? v[c] : res[k];
                        ss += v[c] * v[c];
                    }

                    double inv = 1 / Math.Sqrt((ss / hidden) + 1e-5);
                    for (int c = 0; c < hidden; c++)
                    {
                        want[(r * hidden) + c] = v[c] * inv * w[c];
                    }
                }

                var cmp = Compare.Of(got, want);
                var cmpRes = Compare.Of(gotRes, wantRes);
                report.Check($"{(add ? "add+" : "")}rmsnorm rows={rows} hidden={hidden}", cmp.Passes(Bf16Tol) && cmpRes.Passes(Bf16Tol), $"{cmp}; residual {cmpRes}");
            }
        }

        gpu.FreeAll();
    }

    private void SiluAndMul()
    {
        foreach (var (rows, width) in new[] { (7, 96), (3, 14336), (5, 100), (1, 8) })
        {
            var gu = Rand((long)rows * 2 * width, 4);
            ulong d = gpu.Bf16(gu), o = gpu.PoisonedBf16((long)rows * width);
            gpu.Kernels.SiluAndMul(gpu.Stream, d, o, rows, width);
            var got = gpu.ReadBf16(o, (long)rows * width);
            var want = new double[got.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    double g = gu[((long)r * 2 * width) + c], u = gu[((long)r * 2 * width) + width + c];
                    want[(r * width) + c] = g / (1 + Math.Exp(-g)) * u;
                }
            }

            var cmp = Compare.Of(got, want);
            report.Check($"silu_and_mul rows={rows} width={width}", cmp.Passes(Bf16Tol), cmp.ToString());
        }

        gpu.FreeAll();
    }

    private void BiasAndGather()
    {
        {
            int rows = 5, n = 4099;
            var x = Rand((long)rows * n);
            var b = Rand(n);
            ulong dx = gpu.Bf16(x), db = gpu.Bf16(b);
            gpu.Kernels.BiasAdd(gpu.Stream, dx, db, rows, n);
            var got = gpu.ReadBf16(dx, (long)rows * n);
            var want = new double[got.Length];
            for (int i = 0; i < want.Length; i++)
            {
                want[i] = x[i] + b[i % n];
            }

            var cmp = Compare.Of(got, want);
            report.Check($"bias_add rows={rows} n={n}", cmp.Passes(Bf16Tol), cmp.ToString());
        }

        foreach (var hidden in new[] { 4096, 100 })
        {
            int rows = 11;
            var x = Rand((long)rows * hidden);
            var idx = new[] { 10, 0, 3, 3 };
            ulong dx = gpu.Bf16(x), di = gpu.Ints(idx), o = gpu.PoisonedBf16((long)idx.Length * hidden);
            gpu.Kernels.GatherRows(gpu.Stream, dx, di, o, idx.Length, hidden);
            var got = gpu.ReadBf16(o, (long)idx.Length * hidden);
            var want = new double[got.Length];
            for (int r = 0; r < idx.Length; r++)
            {
                for (int c = 0; c < hidden; c++)
                {
                    want[(r * hidden) + c] = x[(idx[r] * hidden) + c];
                }
            }

            var cmp = Compare.Of(got, want);
            report.Check($"gather_rows hidden={hidden}", cmp.Passes(0), cmp.ToString());
        }

        gpu.FreeAll();
    }

    private void HeadNorm()
    {
        foreach (var (rows, heads, d, first, width) in new[] { (5, 8, 128, 0, 1536), (3, 2, 64, 256, 512), (4, 4, 32, 32, 200) })
        {
            var x = Rand((long)rows * width, 3);
            var w = Rand(d);
            ulong dx = gpu.Bf16(x), dw = gpu.Bf16(w);
            gpu.Kernels.HeadRmsNorm(gpu.Stream, dx, width, first, heads, d, dw, 1e-6f, rows);
            var got = gpu.ReadBf16(dx, (long)rows * width);
            var want = x.Select(v => (double)v).ToArray();
            for (int r = 0; r < rows; r++)
            {
                for (int h = 0; h < heads; h++)
                {
                    int b = (r * width) + first + (h * d);
                    double ss = 0;
                    for (int i = 0; i < d; i++)
                    {
                        ss += x[b + i] * (double)x[b + i];
                    }

                    double inv = 1 / Math.Sqrt((ss / d) + 1e-6);
                    for (int i = 0; i < d; i++)
                    {
                        want[b + i] = x[b + i] * inv * w[i];
                    }
                }
            }

            var cmp = Compare.Of(got, want);
            report.Check($"head_rmsnorm rows={rows} heads={heads} d={d} first={first}", cmp.Passes(Bf16Tol), cmp.ToString());
        }

        gpu.FreeAll();
    }

    private void RopeAndCache()
    {
        foreach (var (tokens, hq, hkv, d, bs) in new[] { (19, 8, 2, 128, 16), (7, 4, 4, 64, 16), (5, 4, 2, 32, 8), (3, 2, 1, 256, 16) })
        {
            int width = (hq + (2 * hkv)) * d, blocks = 8, maxPos = 4096;
            var qkv = Rand((long)tokens * width);
            var pos = Enumerable.Range(0, tokens).Select(_ => _random.Rng.Next(maxPos)).ToArray();
            var slotPool = Enumerable.Range(0, blocks * bs).OrderBy(_ => _random.Rng.Next()).ToArray();
            var slots = Enumerable.Range(0, tokens).Select(t => t == 1 ? -1 : slotPool[t]).ToArray();
            var table = new float[(long)maxPos * d];
            for (int p = 0; p < maxPos; p++)
            {
                for (int i = 0; i < d / 2; i++)
                {
                    double angle = p * Math.Pow(500000, -2.0 * i / d);
                    table[((long)p * d) + i] = (float)Math.Cos(angle);
                    table[((long)p * d) + (d / 2) + i] = (float)Math.Sin(angle);
                }
            }

            long cacheElems = (long)blocks * hkv * bs * d;
            ulong dq = gpu.Bf16(qkv), dp = gpu.Ints(pos), ds = gpu.Ints(slots), dt = gpu.F32(table);
            ulong kc = gpu.PoisonedBf16(cacheElems), vc = gpu.PoisonedBf16(cacheElems);
            gpu.Kernels.RopeAndCache(gpu.Stream, dq, dp, dt, ds, kc, vc, 0, 0, tokens, hq, hkv, d, bs, 1e-6f);
            var gotQkv = gpu.ReadBf16(dq, (long)tokens * width);
            var gotK = gpu.ReadBf16(kc, cacheElems);
            var gotV = gpu.ReadBf16(vc, cacheElems);
            var wantQ = new List<double>();
            var q = new List<float>();
            var wantK = new List<double>();
            var k = new List<float>();
            int untouchedNaN = 0, expectedNaN = 0;
            var written = new bool[blocks * bs];
            for (int t = 0; t < tokens; t++)
            {
                if (slots[t] >= 0)
                {
                    written[slots[t]] = true;
                }

                for (int h = 0; h < hq + hkv; h++)
                {
                    int b = (t * width) + (h * d);
                    var rotated = new double[d];
                    for (int i = 0; i < d / 2; i++)
                    {
                        double c = table[((long)pos[t] * d) + i], s = table[((long)pos[t] * d) + (d / 2) + i];
                        rotated[i] = (qkv[b + i] * c) - (qkv[b + i + (d / 2)] * s);
                        rotated[i + (d / 2)] = (qkv[b + i + (d / 2)] * c) + (qkv[b + i] * s);
                    }

                    if (h < hq)
                    {
                        for (int i = 0; i < d; i++)
                        {
                            wantQ.Add(rotated[i]);
                            q.Add(gotQkv[b + i]);
                        }
                    }
                    else if (slots[t] >= 0)
                    {
                        int kvh = h - hq;
                        long cb = ((((long)(slots[t] / bs) * hkv) + kvh) * bs + (slots[t] % bs)) * d;
                        for (int i = 0; i < d; i++)
                        {
                            wantK.Add(rotated[i]);
                            k.Add(gotK[cb + i]);
                            wantK.Add(qkv[(t * width) + ((hq + hkv + kvh) * d) + i]);
                            k.Add(gotV[cb + i]);
                        }
                    }
                }
            }

            // Slots nobody wrote must still hold the poison: the kernel wrote nothing else.
            for (int s = 0; s < blocks * bs; s++)
            {
                if (!written[s])
                {
                    expectedNaN++;
                    long cb = ((long)(s / bs) * hkv * bs + (s % bs)) * d;
                    if (float.IsNaN(gotK[cb]))
                    {
                        untouchedNaN++;
                    }
                }
            }

            var cq = Compare.Of(q.ToArray(), wantQ.ToArray());
            var ck = Compare.Of(k.ToArray(), wantK.ToArray());
            report.Check($"rope+kv-cache T={tokens} hq={hq} hkv={hkv} d={d} bs={bs}", cq.Passes(Bf16Tol) && ck.Passes(Bf16Tol) && untouchedNaN == expectedNaN,
                $"q {cq}; k/v {ck}; untouched slots intact {untouchedNaN}/{expectedNaN}");
        }

        gpu.FreeAll();
    }

    /// <summary>A random paged cache and its float copy, for the attention checks.</summary>
    private (ulong K, ulong V, float[] Kh, float[] Vh, int[] Tables, int Stride) Cache(int[] contexts, int hkv, int d, int bs)
    {
        int stride = contexts.Max(c => (c + bs - 1) / bs) + 1;
        int blocks = contexts.Sum(c => (c + bs - 1) / bs) + 3;
        var perm = Enumerable.Range(0, blocks).OrderBy(_ => _random.Rng.Next()).ToArray();
        var tables = new int[contexts.Length * stride];
        int next = 0;
        for (int s = 0; s < contexts.Length; s++)
        {
            for (int b = 0; b < (contexts[s] + bs - 1) / bs; b++)
            {
                tables[(s * stride) + b] = perm[next++];
            }
        }

        var kh = Rand((long)blocks * hkv * bs * d);
        var vh = Rand((long)blocks * hkv * bs * d);
        return (gpu.Bf16(kh), gpu.Bf16(vh), kh, vh, tables, stride);
    }

    private static double[] AttendReference(float[] q, int qOff, float[] kh, float[] vh, int[] tables, int stride, int seq, int visible,
                                            int kvh, int hkv, int d, int bs, double scale)
    {
        var scores = new double[visible];
        double max = double.NegativeInfinity;
        for (int t = 0; t < visible; t++)
        {
            long cb = ((((long)tables[(seq * stride) + (t / bs)] * hkv) + kvh) * bs + (t % bs)) * d;
            double dot = 0;
            for (int i = 0; i < d; i++)
            {
                dot += q[qOff + i] * (double)kh[cb + i];
            }

            scores[t] = dot * scale;
            max = Math.Max(max, scores[t]);
        }

        double sum = 0;
        for (int t = 0; t < visible; t++)
        {
            scores[t] = Math.Exp(scores[t] - max);
            sum += scores[t];
        }

        var o = new double[d];
        for (int t = 0; t < visible; t++)
        {
            long cb = ((((long)tables[(seq * stride) + (t / bs)] * hkv) + kvh) * bs + (t % bs)) * d;
            for (int i = 0; i < d; i++)
            {
                o[i] += scores[t] / sum * vh[cb + i];
            }
        }

        return o;
    }

    private void DecodeAttention()
    {
        var cases = new[]
        {
            (new[] { 1, 17, 511, 513, 3000 }, 32, 8, 128),
            (new[] { 5, 100, 1100 }, 28, 4, 64),
            (new[] { 33, 2 }, 4, 4, 32),
            (new[] { 700, 9 }, 16, 2, 128),
            (new[] { 40 }, 4, 2, 16),
            (new[] { 600, 3 }, 8, 2, 256),
            (new[] { 1, 64, 65, 2000 }, 32, 2, 64),
            // Large batches: the tensor-core kernel takes few long partitions (two of 640 keys here, one of 768 below;
            // DecodePartitionPolicy), the CUDA-core kernel 128-key ones.
            (LargeBatch(160, 1200), 32, 8, 128),
            (LargeBatch(400, 700), 32, 8, 64),
        };
        // Grouped heads of 64 or 128 dims run on tensor cores by default; each case also runs on the CUDA-core kernel.
        foreach (var ((contexts, hq, hkv, d), tensorCores) in cases.SelectMany(c => new[] { (c, true), (c, false) }))
        {
            gpu.Kernels.DecodeOnTensorCores = tensorCores;
            const int bs = 16;
            int seqs = contexts.Length, qStride = (hq + (2 * hkv)) * d + 8;
            var (k, v, kh, vh, tables, stride) = Cache(contexts, hkv, d, bs);
            var q = Rand((long)seqs * qStride);
            ulong dq = gpu.Bf16(q), dt = gpu.Ints(tables), dc = gpu.Ints(contexts);
            ulong o = gpu.PoisonedBf16((long)seqs * hq * d);
            int splits = KernelLibrary.DecodeSplits(contexts.Max());
            int count = gpu.Kernels.DecodePartitioning(seqs, hq, hkv, d, bs, splits).Count;
            ulong acc = gpu.PoisonedF32((long)seqs * hq * count * d), ml = gpu.PoisonedF32((long)seqs * hq * count * 2);
            double scale = 1 / Math.Sqrt(d);
            gpu.Kernels.DecodeAttention(gpu.Stream, dq, qStride, o, acc, ml, k, v, dt, stride, dc, seqs, hq, hkv, d, bs, (float)scale, splits);
            var got = gpu.ReadBf16(o, (long)seqs * hq * d);
            var want = new double[got.Length];
            for (int s = 0; s < seqs; s++)
            {
                for (int h = 0; h < hq; h++)
                {
                    var r = AttendReference(q, (s * qStride) + (h * d), kh, vh, tables, stride, s, contexts[s], h / (hq / hkv), hkv, d, bs, scale);
                    r.CopyTo(want, ((s * hq) + h) * d);
                }
            }

            var cmp = Compare.Of(got, want);
            bool tc = tensorCores && hq / hkv >= 2 && d is 64 or 128;
            string ctx = contexts.Length <= 8 ? string.Join(',', contexts) : $"{contexts.Length} seqs of 1..{contexts.Max()}";
            int partition = gpu.Kernels.DecodePartitioning(seqs, hq, hkv, d, bs, splits).Partition;
            report.Check($"decode attention ctx=[{ctx}] hq={hq} hkv={hkv} d={d} partitions={count}x{partition} {(tc ? "tensor cores" : "cuda cores")}", cmp.Passes(Bf16Tol), cmp.ToString());
        }

        gpu.Kernels.DecodeOnTensorCores = true;

        gpu.FreeAll();
    }

    // Context lengths of a large decode batch: random in 1..max, with the edges (1, max, whole tiles) among them.
    private int[] LargeBatch(int seqs, int max)
    {
        var contexts = Enumerable.Range(0, seqs).Select(_ => 1 + _random.Rng.Next(max)).ToArray();
        contexts[0] = 1;
        contexts[1] = max;
        contexts[2] = 64;
        contexts[3] = 128;
        return contexts;
    }

    private void PrefillAttention()
    {
        var cases = new[]
        {
            (new[] { 1, 70, 200 }, new[] { 1, 100, 200 }, 8, 2, 128),
            (new[] { 64, 129 }, new[] { 64, 1000 }, 4, 4, 64),
            (new[] { 3, 17 }, new[] { 40, 17 }, 4, 2, 32),
            (new[] { 33 }, new[] { 50 }, 4, 1, 16),
            (new[] { 90, 1 }, new[] { 90, 300 }, 4, 2, 256),
            (new[] { 300, 5, 130 }, new[] { 700, 5, 130 }, 8, 2, 128),
        };
        // Head sizes 64 and 128 also run double-buffered, and on the wgmma kernel where it loaded.
        bool wgmmaLoaded = gpu.Kernels.HasWgmmaPrefill;
        foreach (var ((qLens, contexts, hq, hkv, d), mode) in cases.SelectMany(c => new[] { (c, 0), (c, 1), (c, 2) })
                     .Where(c => c.Item2 == 0 || (c.Item1.Item5 is 64 or 128 && (c.Item2 == 1 || wgmmaLoaded))))
        {
            bool pipe = mode >= 1;
            gpu.Kernels.PrefillDoubleBuffered = pipe;
            gpu.Kernels.PrefillOnWgmma = mode == 2;
            const int bs = 16;
            int seqs = qLens.Length, tokens = qLens.Sum(), qStride = (hq + (2 * hkv)) * d;
            var (k, v, kh, vh, tables, stride) = Cache(contexts, hkv, d, bs);
            var q = Rand((long)tokens * qStride);
            var starts = new int[seqs + 1];
            for (int s = 0; s < seqs; s++)
            {
                starts[s + 1] = starts[s] + qLens[s];
            }

            ulong dq = gpu.Bf16(q), dt = gpu.Ints(tables), dc = gpu.Ints(contexts), dstarts = gpu.Ints(starts);
            ulong o = gpu.PoisonedBf16((long)tokens * hq * d);
            double scale = 1 / Math.Sqrt(d);
            gpu.Kernels.PrefillAttention(gpu.Stream, dq, qStride, o, k, v, dt, stride, dstarts, dc, seqs, qLens.Max(), hq, hkv, d, bs, (float)scale);
            var got = gpu.ReadBf16(o, (long)tokens * hq * d);
            var want = new double[got.Length];
            for (int s = 0; s < seqs; s++)
            {
                for (int i = 0; i < qLens[s]; i++)
                {
                    int row = starts[s] + i;
                    int visible = contexts[s] - qLens[s] + i + 1;
                    for (int h = 0; h < hq; h++)
                    {
                        var r = AttendReference(q, (row * qStride) + (h * d), kh, vh, tables, stride, s, visible, h / (hq / hkv), hkv, d, bs, scale);
                        r.CopyTo(want, ((row * hq) + h) * d);
                    }
                }
            }

            var cmp = Compare.Of(got, want);
            report.Check($"prefill attention q=[{string.Join(',', qLens)}] ctx=[{string.Join(',', contexts)}] hq={hq} hkv={hkv} d={d}{(mode == 2 ? " wgmma" : pipe ? " double-buffered" : "")}", cmp.Passes(Bf16Tol), cmp.ToString());
        }

        gpu.Kernels.PrefillDoubleBuffered = true;
        gpu.Kernels.PrefillOnWgmma = false;

        gpu.FreeAll();
    }

    private void Argmax()
    {
        foreach (var (rows, vocab) in new[] { (3, 128256), (5, 1000), (1, 151936) })
        {
            var logits = Rand((long)rows * vocab, 8);
            // A planted tie: the lower index must win.
            logits[7] = 100f;
            logits[9] = 100f;
            ulong dl = gpu.F32(logits);
            int chunks = KernelLibrary.ArgmaxChunks(vocab);
            ulong scratch = gpu.Alloc(12L * rows * chunks).Pointer, toks = gpu.Alloc(4L * rows).Pointer, lps = gpu.PoisonedF32(rows);
            gpu.Stream.Fill32(toks, 0xFFFFFFFF, rows);
            gpu.Kernels.Argmax(gpu.Stream, dl, rows, vocab, scratch, toks, lps);
            var gotT = gpu.ReadInts(toks, rows);
            var gotL = gpu.ReadF32(lps, rows);
            bool ok = true;
            var detail = new List<string>();
            for (int r = 0; r < rows; r++)
            {
                var row = logits.AsSpan(r * vocab, vocab);
                int best = 0;
                for (int i = 1; i < vocab; i++)
                {
                    if (row[i] > row[best])
                    {
                        best = i;
                    }
                }

                double m = row[best], sum = 0;
                foreach (var x in row)
                {
                    sum += Math.Exp(x - m);
                }

                double lp = -Math.Log(sum);
                ok &= gotT[r] == best && Math.Abs(gotL[r] - lp) < 1e-3 * Math.Max(1, Math.Abs(lp));
                detail.Add($"{gotT[r]}/{best} lp {gotL[r]:F4}/{lp:F4}");
            }

            report.Check($"greedy argmax+logprob rows={rows} vocab={vocab}", ok, string.Join("; ", detail));
        }

        gpu.FreeAll();
    }

    private void Gemm()
    {
        foreach (var (m, n, k, bias, f32, gemv) in new[]
        {
            (1, 4096, 4096, false, false, false), (7, 1000, 96, true, false, false), (64, 512, 4096, false, true, false), (33, 6144, 4096, true, false, false),
            (1, 6144, 4096, false, false, true), (3, 1001, 4096, true, false, true), (8, 4096, 14336, false, true, true), (5, 77, 100, true, true, true),
            // Rows split over two warps: a CTA whose last row is past N, and K not a multiple of 8; then one warp a row at N >= 8192.
            (1, 8191, 2056, false, false, true), (4, 333, 1030, true, false, true), (2, 9000, 1032, true, true, true),
        })
        {
            var x = Rand((long)m * k);
            var w = Rand((long)n * k, 0.05f);
            var b = Rand(n);
            ulong dx = gpu.Bf16(x), dw = gpu.Bf16(w), db = gpu.Bf16(b);
            ulong y = f32 ? gpu.PoisonedF32((long)m * n) : gpu.PoisonedBf16((long)m * n);
            if (gemv)
            {
                gpu.Kernels.Gemv(gpu.Stream, dx, dw, bias ? db : 0, y, m, n, k, f32);
            }
            else
            {
                gpu.Gemm.Run(gpu.Stream, new GemmShape(m, n, k, bias, f32), dx, dw, bias ? db : 0, y, allowTuning: m > 32);
            }

            var got = f32 ? gpu.ReadF32(y, (long)m * n) : gpu.ReadBf16(y, (long)m * n);
            var want = new double[(long)m * n];
            Parallel.For(0, m, r =>
            {
                for (int c = 0; c < n; c++)
                {
                    double acc = bias ? b[c] : 0;
                    for (int i = 0; i < k; i++)
                    {
                        acc += x[((long)r * k) + i] * (double)w[((long)c * k) + i];
                    }

                    want[((long)r * n) + c] = acc;
                }
            });
            var cmp = Compare.Of(got, want);
            report.Check($"{(gemv ? "gemv" : "cuBLASLt gemm")} M={m} N={n} K={k} bias={bias} out={(f32 ? "f32" : "bf16")}", cmp.Passes(f32 ? 1e-3 : Bf16Tol), cmp.ToString());
        }

        gpu.FreeAll();
    }
}

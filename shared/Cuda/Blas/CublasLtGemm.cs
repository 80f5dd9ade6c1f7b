using LlmServe.Cuda.Native;
using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Blas;

/// <summary>
/// bf16 GEMMs with fp32 accumulation through cuBLASLt, in the Hugging Face weight layout:
/// Y[M×N] = X[M×K] · W[N×K]ᵀ (+ bias). Row-major Y is column-major Yᵀ = W·Xᵀ, which cuBLASLt runs as a "TN"
/// product with A = W (transposed) and B = X. The heuristic's algorithm is chosen once per shape and cached.
/// </summary>
public sealed unsafe class CublasLtGemm : IDisposable
{
    /// <summary>Workspace offered to cuBLASLt (split-K and stream-K kernels need it).</summary>
    public const long WorkspaceBytes = 32L << 20;

    private readonly CudaContext _context;
    private readonly CublasLtHandle _handle;
    private readonly DeviceBuffer _workspace;
    private readonly Dictionary<GemmShape, GemmPlan> _plans = [];

    public CublasLtGemm(CudaContext context, CudaLibraryOptions libraries)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!CublasLtApi.IsBound)
        {
            CublasLtApi.Bind(new NativeLibraryResolver(libraries).Load(CudaLibrary.CublasLt));
        }

        context.MakeCurrent();
        _context = context;
        _handle = CublasLtHandle.Create();
        _workspace = DeviceBuffer.Allocate(context, WorkspaceBytes);
    }

    public int CachedPlans => _plans.Count;

    /// <summary>Row counts up to this are tuned by timing (decode shapes); larger ones take the heuristic's first choice.</summary>
    public const int TuneMaxRows = 512;

    private const int Candidates = 8;

    /// <summary>
    /// Enqueues Y = X·Wᵀ (+bias) on <paramref name="stream"/>. X, W, bias bf16; Y bf16 or fp32 per the shape.
    /// With <paramref name="allowTuning"/> (never during a graph capture) a new decode-sized shape times the
    /// heuristic's candidates on these very buffers once and keeps the fastest.
    /// </summary>
    public void Run(CudaStream stream, GemmShape shape, ulong x, ulong w, ulong bias, ulong y, bool allowTuning = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (shape.M == 0)
        {
            return;
        }

        var plan = Plan(shape);
        if (shape.Bias)
        {
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtApi.DescBiasPointer, &bias, (nuint)sizeof(ulong)));
        }

        if (allowTuning && !plan.Tuned && shape.M <= TuneMaxRows)
        {
            Tune(stream, plan, x, w, y);
        }

        Launch(stream, plan, plan.Algo, plan.WorkspaceBytes, x, w, y);
    }

    private void Launch(CudaStream stream, GemmPlan plan, CublasLtApi.MatmulAlgo algo, nuint workspace, ulong x, ulong w, ulong y)
    {
        float alpha = 1f, beta = 0f;
        CublasLtApi.Check(CublasLtApi.cublasLtMatmul(
            _handle.Handle, plan.Desc, &alpha, w, plan.A, x, plan.B, &beta, y, plan.C, y, plan.C,
            &algo, _workspace.Pointer, workspace, stream.Handle));
    }

    private void Tune(CudaStream stream, GemmPlan plan, ulong x, ulong w, ulong y)
    {
        plan.Tuned = true;
        var results = stackalloc CublasLtApi.HeuristicResult[Candidates];
        int found = Heuristic(plan, results, Candidates);
        if (found <= 1)
        {
            return;
        }

        using var start = CudaEvent.Create(_context);
        using var end = CudaEvent.Create(_context);
        float best = float.MaxValue;
        for (int i = 0; i < found; i++)
        {
            try
            {
                Launch(stream, plan, results[i].Algo, results[i].WorkspaceSize, x, w, y);
                start.Record(stream);
                for (int r = 0; r < 3; r++)
                {
                    Launch(stream, plan, results[i].Algo, results[i].WorkspaceSize, x, w, y);
                }

                end.Record(stream);
                end.Synchronize();
            }
            catch (CudaException)
            {
                continue; // a candidate that cannot run here is simply not chosen
            }

            float ms = CudaEvent.ElapsedMilliseconds(start, end);
            if (ms < best)
            {
                best = ms;
                plan.Algo = results[i].Algo;
                plan.WorkspaceBytes = results[i].WorkspaceSize;
            }
        }
    }

    private int Heuristic(GemmPlan plan, CublasLtApi.HeuristicResult* results, int requested)
    {
        nint pref;
        CublasLtApi.Check(CublasLtApi.cublasLtMatmulPreferenceCreate(&pref));
        try
        {
            ulong ws = WorkspaceBytes;
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulPreferenceSetAttribute(pref, CublasLtApi.PrefMaxWorkspaceBytes, &ws, sizeof(ulong)));
            int found;
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulAlgoGetHeuristic(
                _handle.Handle, plan.Desc, plan.A, plan.B, plan.C, plan.C, pref, requested, results, &found));
            return found;
        }
        finally
        {
            _ = CublasLtApi.cublasLtMatmulPreferenceDestroy(pref);
        }
    }

    private GemmPlan Plan(GemmShape shape)
    {
        if (_plans.TryGetValue(shape, out var cached))
        {
            return cached;
        }

        var plan = new GemmPlan();
        try
        {
            nint desc, la, lb, lc;
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulDescCreate(&desc, CublasLtApi.ComputeF32, CublasLtApi.DataTypeF32));
            plan.Desc = desc;
            int opT = CublasLtApi.OpT, opN = CublasLtApi.OpN;
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtApi.DescTransA, &opT, sizeof(int)));
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtApi.DescTransB, &opN, sizeof(int)));
            uint epilogue = shape.Bias ? CublasLtApi.EpilogueBias : CublasLtApi.EpilogueDefault;
            CublasLtApi.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtApi.DescEpilogue, &epilogue, sizeof(uint)));
            var outType = shape.OutputF32 ? CublasLtApi.DataTypeF32 : CublasLtApi.DataTypeBf16;
            CublasLtApi.Check(CublasLtApi.cublasLtMatrixLayoutCreate(&la, CublasLtApi.DataTypeBf16, (ulong)shape.K, (ulong)shape.N, shape.K));
            plan.A = la;
            CublasLtApi.Check(CublasLtApi.cublasLtMatrixLayoutCreate(&lb, CublasLtApi.DataTypeBf16, (ulong)shape.K, (ulong)shape.M, shape.K));
            plan.B = lb;
            CublasLtApi.Check(CublasLtApi.cublasLtMatrixLayoutCreate(&lc, outType, (ulong)shape.N, (ulong)shape.M, shape.N));
            plan.C = lc;

            CublasLtApi.HeuristicResult result;
            if (Heuristic(plan, &result, 1) < 1)
            {
                throw new CudaException($"cuBLASLt has no algorithm for {shape}");
            }

            plan.Algo = result.Algo;
            plan.WorkspaceBytes = result.WorkspaceSize;
        }
        catch
        {
            plan.Dispose();
            throw;
        }

        _plans[shape] = plan;
        return plan;
    }

    public void Dispose()
    {
        foreach (var plan in _plans.Values)
        {
            plan.Dispose();
        }

        _plans.Clear();
        _workspace.Dispose();
        _handle.Dispose();
    }
}

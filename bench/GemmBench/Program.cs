using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LlmServe.GemmBench;
using LlmServe.Inference.Cpu.Gemm;

// GemmBench [--threads N] [--budget SECONDS] [--clock wall|cpu] [--numpy results.tsv] [--no-dot] [MxNxK ...]
// Prints GFLOP/s of SgemmNT (row-major B and prepacked B), a TensorPrimitives.Dot-per-element GEMM and,
// when given, numpy/OpenBLAS numbers measured on the same shapes (bench/gemm/numpy_sgemm.py).
int threads = 2;
double budget = 1.0;
string? numpyFile = null;
bool runDot = true;
bool cpuClock = false;
var shapes = new List<GemmShape>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--budget": budget = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--numpy": numpyFile = args[++i]; break;
        case "--no-dot": runDot = false; break;
        case "--clock": cpuClock = args[++i] == "cpu"; break;
        default: shapes.Add(GemmShape.Parse(args[i])); break;
    }
}

if (shapes.Count == 0)
{
    shapes.AddRange(GemmShape.Defaults);
}

var numpy = numpyFile is null ? [] : File.ReadAllLines(numpyFile)
    .Select(line => line.Split('\t'))
    .Where(f => f.Length == 4)
    .ToDictionary(f => (int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture)), f => double.Parse(f[3], CultureInfo.InvariantCulture));

Console.WriteLine($"clock: {(cpuClock ? "process CPU time / threads" : "wall")}, threads {threads}, AVX-512F {Avx512F.IsSupported}, FMA {Fma.IsSupported}, Vector512 {Vector512.IsHardwareAccelerated}");
Console.WriteLine("| shape (M×N×K) | use | SgemmNT | SgemmNT prepacked B | Dot-only | numpy/OpenBLAS | SgemmNT / OpenBLAS | prepacked / OpenBLAS |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
var random = new Random(1);
foreach (var shape in shapes)
{
    var (m, n, k) = (shape.M, shape.N, shape.K);
    var a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
    var b = Enumerable.Range(0, n * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
    var c = new float[m * n];
    var packed = PackedMatrix.Pack(b, n, k);

    double ours = shape.Flops / BestOf.Seconds(() => SgemmNT.Multiply(a, b, c, m, n, k, false, threads), budget, cpuClock, threads) / 1e9;
    double prepacked = shape.Flops / BestOf.Seconds(() => SgemmNT.Multiply(a, packed, c, m, false, threads), budget, cpuClock, threads) / 1e9;
    double dot = runDot ? shape.Flops / BestOf.Seconds(() => DotProductGemm.Multiply(a, b, c, m, n, k, threads), budget, cpuClock, threads, maxRuns: 5) / 1e9 : double.NaN;
    bool haveBlas = numpy.TryGetValue((m, n, k), out double blas);
    string Format(double x) => double.IsNaN(x) ? "-" : x.ToString("F1", CultureInfo.InvariantCulture);
    string Ratio(double x) => haveBlas ? string.Create(CultureInfo.InvariantCulture, $"{x / blas * 100:F0}%") : "-";
    Console.WriteLine($"| {m}×{n}×{k} | {shape.Label} | {Format(ours)} | {Format(prepacked)} | {Format(dot)} | {(haveBlas ? Format(blas) : "-")} | {Ratio(ours)} | {Ratio(prepacked)} |");
}

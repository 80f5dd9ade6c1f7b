namespace LlmServe.GemmBench;

/// <summary>One C[M×N] = A[M×K]·Bᵀ problem; what it is in a model is in <see cref="Label"/>.</summary>
internal sealed record GemmShape(int M, int N, int K, string Label)
{
    public double Flops => 2.0 * M * N * K;

    public static IReadOnlyList<GemmShape> Defaults { get; } =
    [
        new(512, 512, 512, "square"),
        new(1024, 1024, 1024, "square"),
        new(2048, 2048, 2048, "square"),
        new(1, 768, 768, "decode qkv/o"),
        new(1, 3072, 768, "decode mlp up"),
        new(16, 768, 768, "linear"),
        new(16, 3072, 768, "linear"),
        new(128, 768, 768, "linear"),
        new(128, 3072, 768, "linear"),
        new(512, 768, 768, "linear"),
        new(512, 3072, 768, "linear"),
    ];

    public static GemmShape Parse(string text)
    {
        var parts = text.Split('x');
        if (parts.Length != 3)
        {
            throw new FormatException($"A shape is MxNxK, got '{text}'.");
        }

        var culture = System.Globalization.CultureInfo.InvariantCulture;
        int m = int.Parse(parts[0], culture), n = int.Parse(parts[1], culture), k = int.Parse(parts[2], culture);
        return Defaults.FirstOrDefault(s => s.M == m && s.N == n && s.K == k) ?? new GemmShape(m, n, k, "custom");
    }
}

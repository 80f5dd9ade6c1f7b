namespace LlmServe.Inference.Tests.Support;

internal static class LogitAssert
{
    /// <summary>Every |actual - expected| ≤ tolerance · max(1, |expected|); the message names the worst index.</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Count; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (err > worst)
            {
                worst = err;
                worstIndex = i;
            }
        }

        Assert.True(worst <= tolerance, $"{what}: relative error {worst:E3} at {worstIndex} (expected {(worstIndex >= 0 ? expected[worstIndex] : 0)}, got {(worstIndex >= 0 ? actual[worstIndex] : 0)}) exceeds {tolerance:E1}");
    }

    public static double MaxRelativeError(IReadOnlyList<float> expected, IReadOnlyList<float> actual)
    {
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i])));
        }

        return worst;
    }

    /// <summary>max |actual - expected| ≤ tolerance · max |expected|: error measured against the row's scale.</summary>
    public static void CloseToScale(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = expected.Max(v => Math.Abs(v));
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        }

        Assert.True(worst <= tolerance * scale, $"{what}: max error {worst:E3} exceeds {tolerance:E1} × row scale {scale:F3}");
    }
}

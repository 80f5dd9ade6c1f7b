namespace LlmServe.CudaCheck;

/// <summary>‖gpu − ref‖ / ‖ref‖ plus a count of non-finite GPU values (an unwritten NaN-poisoned element shows here).</summary>
internal readonly record struct Compare(double RelError, double MaxAbs, int NonFinite, long Count)
{
    public static Compare Of(ReadOnlySpan<float> gpu, ReadOnlySpan<double> reference)
    {
        double num = 0, den = 0, max = 0;
        int bad = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double g = gpu[i];
            if (!double.IsFinite(g))
            {
                bad++;
                continue;
            }

            double d = g - reference[i];
            num += d * d;
            den += reference[i] * reference[i];
            max = Math.Max(max, Math.Abs(d));
        }

        return new Compare(den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den), max, bad, reference.Length);
    }

    public static Compare Of(ReadOnlySpan<float> gpu, ReadOnlySpan<float> reference)
    {
        var r = new double[reference.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = reference[i];
        }

        return Of(gpu, r);
    }

    public bool Passes(double tolerance) => NonFinite == 0 && RelError <= tolerance;

    public override string ToString() => $"rel {RelError:E2} maxabs {MaxAbs:E2} nonfinite {NonFinite}/{Count}";
}

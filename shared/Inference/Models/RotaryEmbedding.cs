namespace LlmServe.Inference.Models;

/// <summary>
/// Builds the RoPE table the backends read: one row per position, [cos(θ₀..θ_{d/2-1}) | sin(...)], with the
/// frequencies Hugging Face derives (default, linear, llama3). The angle is rounded through float32 as in
/// transformers (inv_freq · position in fp32) so our rotations match theirs bit for bit before cos/sin.
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>Inverse frequencies [headDim/2] after any scaling.</summary>
    public static float[] InverseFrequencies(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int half = config.HeadDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(2 * i) / config.HeadDim;
            inv[i] = (float)(1.0 / Math.Pow(config.RopeTheta, exponent));
        }

        var scaling = config.RopeScaling;
        switch (scaling.Type)
        {
            case "linear":
                for (int i = 0; i < half; i++)
                {
                    inv[i] = (float)(inv[i] / scaling.Factor);
                }

                break;
            case "llama3":
                ApplyLlama3(inv, scaling);
                break;
            default:
                break;
        }

        return inv;
    }

    /// <summary>The [maxPositions × headDim] cos|sin table.</summary>
    public static float[] BuildTable(ModelConfig config, int maxPositions)
    {
        ArgumentNullException.ThrowIfNull(config);
        var inv = InverseFrequencies(config);
        int d = config.HeadDim;
        int half = d / 2;
        var table = new float[(long)maxPositions * d];
        for (int p = 0; p < maxPositions; p++)
        {
            var row = table.AsSpan(p * d, d);
            for (int i = 0; i < half; i++)
            {
                float angle = inv[i] * p;
                row[i] = (float)Math.Cos(angle);
                row[half + i] = (float)Math.Sin(angle);
            }
        }

        return table;
    }

    // Llama 3.1: keep high frequencies, divide low frequencies by the factor, blend the band between.
    private static void ApplyLlama3(float[] inv, RopeScaling s)
    {
        double lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double freq = inv[i];
            double wavelen = 2 * Math.PI / freq;
            double scaled = wavelen > lowFreqWavelen ? freq / s.Factor : freq;
            bool medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium)
            {
                double smooth = ((s.OriginalMaxPositionEmbeddings / wavelen) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                scaled = ((1 - smooth) * scaled / s.Factor) + (smooth * scaled);
            }

            inv[i] = (float)scaled;
        }
    }
}

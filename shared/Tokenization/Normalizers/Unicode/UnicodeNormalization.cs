using System.Globalization;
using System.Text;

namespace LlmServe.Tokenization.Normalizers.Unicode;

/// <summary>
/// NFC / NFD / NFKC / NFKD implemented from <see cref="UnicodeNormalizationData"/>: the runtime's
/// string.Normalize is a no-op under InvariantGlobalization, which every service here runs with.
/// </summary>
internal static class UnicodeNormalization
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(Tables.Build);

    public static string Normalize(string input, NormalizationForm form)
    {
        Tables t = Data.Value;
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        bool compose = form is NormalizationForm.FormC or NormalizationForm.FormKC;
        var cps = new List<int>(input.Length + 8);
        for (int i = 0; i < input.Length;)
        {
            int cp = char.IsHighSurrogate(input[i]) && i + 1 < input.Length && char.IsLowSurrogate(input[i + 1])
                ? char.ConvertToUtf32(input[i], input[i + 1])
                : input[i];
            i += cp > 0xFFFF ? 2 : 1;
            Decompose(cp, compatibility, t, cps);
        }

        Reorder(cps, t);
        if (compose)
        {
            Compose(cps, t);
        }

        var sb = new StringBuilder(cps.Count + 8);
        foreach (int cp in cps)
        {
            if (cp > 0xFFFF)
            {
                sb.Append(char.ConvertFromUtf32(cp));
            }
            else
            {
                sb.Append((char)cp);
            }
        }

        string result = sb.ToString();
        return result == input ? input : result;
    }

    private static void Decompose(int cp, bool compatibility, Tables t, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + (s / NCount));
            output.Add(VBase + (s % NCount / TCount));
            if (s % TCount != 0)
            {
                output.Add(TBase + (s % TCount));
            }

            return;
        }

        if ((compatibility && t.Compatibility.TryGetValue(cp, out int[]? d)) || t.Canonical.TryGetValue(cp, out d))
        {
            // Compatibility mappings are stored fully decomposed; a Hangul syllable can appear inside one.
            foreach (int x in d)
            {
                if (x >= SBase && x < SBase + SCount)
                {
                    Decompose(x, compatibility, t, output);
                }
                else
                {
                    output.Add(x);
                }
            }

            return;
        }

        output.Add(cp);
    }

    private static void Reorder(List<int> cps, Tables t)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cc = t.Class(cps[i]);
            if (cc == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0 && t.Class(cps[j - 1]) > cc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static void Compose(List<int> cps, Tables t)
    {
        int write = 0;
        int starter = -1;
        int lastClass = 0;
        for (int read = 0; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cc = t.Class(cp);
            bool adjacent = starter >= 0 && write - 1 == starter;
            if (starter >= 0 && (adjacent || (lastClass != 0 && lastClass < cc)) && TryCompose(cps[starter], cp, t, out int composite))
            {
                cps[starter] = composite;
                continue;
            }

            if (cc == 0)
            {
                starter = write;
            }

            lastClass = cc;
            cps[write++] = cp;
        }

        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, Tables t, out int composite)
    {
        if (first >= LBase && first < LBase + LCount && second >= VBase && second < VBase + VCount)
        {
            composite = SBase + (((first - LBase) * VCount) + (second - VBase)) * TCount;
            return true;
        }

        if (first >= SBase && first < SBase + SCount && (first - SBase) % TCount == 0 && second > TBase && second < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }

        return t.Compositions.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private sealed class Tables
    {
        public required Dictionary<int, byte> Classes { get; init; }

        public required Dictionary<int, int[]> Canonical { get; init; }

        public required Dictionary<int, int[]> Compatibility { get; init; }

        public required Dictionary<long, int> Compositions { get; init; }

        public int Class(int cp) => cp < 0x300 ? 0 : Classes.TryGetValue(cp, out byte c) ? c : 0;

        public static Tables Build()
        {
            var classes = new Dictionary<int, byte>();
            foreach (string item in UnicodeNormalizationData.CombiningClasses.Split(','))
            {
                int colon = item.IndexOf(':', StringComparison.Ordinal);
                classes[Hex(item.AsSpan(0, colon))] = (byte)Hex(item.AsSpan(colon + 1));
            }

            var compositions = new Dictionary<long, int>();
            foreach (string item in UnicodeNormalizationData.Compositions.Split(','))
            {
                int eq = item.IndexOf('=', StringComparison.Ordinal);
                int space = item.IndexOf(' ', StringComparison.Ordinal);
                long key = ((long)Hex(item.AsSpan(0, space)) << 21) | (uint)Hex(item.AsSpan(space + 1, eq - space - 1));
                compositions[key] = Hex(item.AsSpan(eq + 1));
            }

            return new Tables
            {
                Classes = classes,
                Canonical = Mappings(UnicodeNormalizationData.CanonicalDecompositions),
                Compatibility = Mappings(UnicodeNormalizationData.CompatibilityDecompositions),
                Compositions = compositions,
            };
        }

        private static Dictionary<int, int[]> Mappings(string data)
        {
            var map = new Dictionary<int, int[]>();
            foreach (string item in data.Split(','))
            {
                int eq = item.IndexOf('=', StringComparison.Ordinal);
                map[Hex(item.AsSpan(0, eq))] = [.. item[(eq + 1)..].Split(' ').Select(x => Hex(x))];
            }

            return map;
        }

        private static int Hex(ReadOnlySpan<char> s) => int.Parse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }
}

namespace LlmServe.Inference.Sampling;

/// <summary>
/// Partial selection over parallel (value, token id) arrays without sorting the vocabulary: a three-way
/// quickselect moves the wanted top set to the front in expected O(n).
/// </summary>
internal static class CandidateSelector
{
    private const int SortCutoff = 32;

    /// <summary>
    /// Moves every candidate whose value is at least the k-th largest to the front and returns how many
    /// that is (k, or more when the k-th value is tied — vLLM keeps ties too).
    /// </summary>
    public static int SelectTopCount(Span<float> values, Span<int> ids, int count, int k)
    {
        if (k >= count)
        {
            return count;
        }

        int lo = 0, hi = count, need = k;
        while (hi - lo > SortCutoff)
        {
            float pivot = MedianOfThree(values[lo], values[lo + ((hi - lo) / 2)], values[hi - 1]);
            Partition(values, ids, lo, hi, pivot, out int gtEnd, out int eqEnd, out _);
            int greater = gtEnd - lo;
            if (need <= greater)
            {
                hi = gtEnd;
            }
            else if (need <= eqEnd - lo)
            {
                return eqEnd;
            }
            else
            {
                need -= eqEnd - lo;
                lo = eqEnd;
            }
        }

        SortDescending(values, ids, lo, hi);
        int end = lo + need;
        float kth = values[end - 1];
        while (end < hi && values[end] == kth)
        {
            end++;
        }

        return end;
    }

    /// <summary>
    /// Moves the smallest set of largest values whose sum reaches <paramref name="mass"/> to the front and
    /// returns its size (all candidates when rounding leaves the total just short of the mass).
    /// </summary>
    public static int SelectTopMass(Span<float> values, Span<int> ids, int count, double mass)
    {
        int lo = 0, hi = count;
        double need = mass;
        while (hi - lo > SortCutoff)
        {
            float pivot = MedianOfThree(values[lo], values[lo + ((hi - lo) / 2)], values[hi - 1]);
            Partition(values, ids, lo, hi, pivot, out int gtEnd, out int eqEnd, out double greaterSum);
            double equalSum = (double)pivot * (eqEnd - gtEnd);
            if (greaterSum >= need && gtEnd > lo)
            {
                hi = gtEnd;
            }
            else if (greaterSum + equalSum >= need)
            {
                int fromEqual = pivot > 0 ? (int)Math.Ceiling((need - greaterSum) / pivot) : eqEnd - gtEnd;
                return Math.Clamp(gtEnd + Math.Max(fromEqual, 1), gtEnd + 1, eqEnd);
            }
            else
            {
                need -= greaterSum + equalSum;
                lo = eqEnd;
                if (lo == hi)
                {
                    return hi;
                }
            }
        }

        SortDescending(values, ids, lo, hi);
        double sum = 0;
        for (int i = lo; i < hi; i++)
        {
            sum += values[i];
            if (sum >= need)
            {
                return i + 1;
            }
        }

        return hi;
    }

    // Dutch-flag partition of [lo, hi) into > pivot | == pivot | < pivot (descending order).
    private static void Partition(Span<float> values, Span<int> ids, int lo, int hi, float pivot, out int gtEnd, out int eqEnd, out double greaterSum)
    {
        int lt = lo, i = lo, gt = hi;
        double sum = 0;
        while (i < gt)
        {
            float v = values[i];
            if (v > pivot)
            {
                sum += v;
                Swap(values, ids, lt, i);
                lt++;
                i++;
            }
            else if (v < pivot)
            {
                gt--;
                Swap(values, ids, i, gt);
            }
            else
            {
                i++;
            }
        }

        gtEnd = lt;
        eqEnd = gt;
        greaterSum = sum;
    }

    private static void SortDescending(Span<float> values, Span<int> ids, int lo, int hi)
    {
        for (int i = lo + 1; i < hi; i++)
        {
            float v = values[i];
            int id = ids[i];
            int j = i - 1;
            while (j >= lo && (values[j] < v || (values[j] == v && ids[j] > id)))
            {
                values[j + 1] = values[j];
                ids[j + 1] = ids[j];
                j--;
            }

            values[j + 1] = v;
            ids[j + 1] = id;
        }
    }

    private static void Swap(Span<float> values, Span<int> ids, int i, int j)
    {
        (values[i], values[j]) = (values[j], values[i]);
        (ids[i], ids[j]) = (ids[j], ids[i]);
    }

    private static float MedianOfThree(float a, float b, float c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}

namespace LlmServe.Contracts;

/// <summary>Row counts of a step plan across its two encodings (packed decode rows and full sequences).</summary>
public sealed partial class StepPlan
{
    /// <summary>
    /// A decode row's token when the scheduler planned the step before the token was sampled (async scheduling):
    /// the worker uses the token it sampled for that sequence in its previous step.
    /// </summary>
    public const int DeferredToken = -1;

    /// <summary>Rows the workers compute this step: packed decode rows plus full sequence entries.</summary>
    public int RowCount => DecodeSequenceIds.Count + Sequences.Count;

    /// <summary>
    /// Checks that the packed decode arrays line up: one token and position per decode row, and every new
    /// block names an existing row in non-decreasing row order.
    /// </summary>
    /// <returns>Null when consistent, else what is wrong.</returns>
    public string? DescribeDecodeMismatch()
    {
        int rows = DecodeSequenceIds.Count;
        if (DecodeTokenIds.Count != rows || DecodePositions.Count != rows)
        {
            return $"{rows} decode rows but {DecodeTokenIds.Count} tokens and {DecodePositions.Count} positions";
        }
        if (DecodeNewBlockRows.Count != DecodeNewBlockIds.Count)
        {
            return $"{DecodeNewBlockIds.Count} new decode blocks but {DecodeNewBlockRows.Count} row indices";
        }
        int previous = 0;
        for (int i = 0; i < DecodeNewBlockRows.Count; i++)
        {
            int row = DecodeNewBlockRows[i];
            if (row < previous || row >= rows)
            {
                return $"new decode block {i} names row {row} (rows: {rows}, previous: {previous})";
            }
            previous = row;
        }
        return null;
    }
}

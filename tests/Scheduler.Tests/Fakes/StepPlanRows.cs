using LlmServe.Contracts;

namespace LlmServe.Scheduler.Tests.Fakes;

/// <summary>
/// A plan's rows as full <see cref="ScheduledSequence"/>s in the order workers run them (packed decode rows
/// first, then the full entries), so tests read one shape whichever encoding the planner chose.
/// </summary>
internal static class StepPlanRows
{
    public static List<ScheduledSequence> Rows(this StepPlan plan)
    {
        Assert.Null(plan.DescribeDecodeMismatch());
        var rows = new List<ScheduledSequence>(plan.RowCount);
        for (int i = 0; i < plan.DecodeSequenceIds.Count; i++)
        {
            var decode = new ScheduledSequence
            {
                SequenceId = plan.DecodeSequenceIds[i],
                StartPosition = plan.DecodePositions[i],
                Sample = true,
            };
            decode.TokenIds.Add(plan.DecodeTokenIds[i]);
            for (int b = 0; b < plan.DecodeNewBlockRows.Count; b++)
            {
                if (plan.DecodeNewBlockRows[b] == i)
                {
                    decode.NewBlockIds.Add(plan.DecodeNewBlockIds[b]);
                }
            }
            rows.Add(decode);
        }
        rows.AddRange(plan.Sequences);
        return rows;
    }
}

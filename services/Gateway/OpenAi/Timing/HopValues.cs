namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>One token's hop times in microseconds; a hop whose start or end stamp is missing has no value.</summary>
internal sealed class HopValues
{
    private readonly long?[] _values = new long?[HopNames.Count];

    public long? this[Hop hop]
    {
        get => _values[(int)hop];
        set => _values[(int)hop] = value;
    }

    /// <summary>Sum of the hops that have a value: when none is missing, the first stamp to the last.</summary>
    public long Total => _values.Sum(v => v ?? 0);

    public bool IsComplete(Hop from) => _values.Skip((int)from).All(v => v.HasValue);
}

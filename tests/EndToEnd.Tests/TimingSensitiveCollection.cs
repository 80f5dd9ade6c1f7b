namespace LlmServe.EndToEnd.Tests;

/// <summary>Tests that compare the client's clock with the services' stamps: run alone, so other test classes' clusters do not
/// starve this one's processes between the stamps.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive";
}

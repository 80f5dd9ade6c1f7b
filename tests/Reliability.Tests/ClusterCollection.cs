using LlmServe.Reliability.Tests.Faults;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LlmServe.Reliability.Tests;

/// <summary>
/// The tests that share the fault cluster. The assembly runs one test at a time: the scenarios measure recovery
/// times, and two clusters on a 2-core machine would measure each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<FaultClusterFixture>
{
    public const string Name = "fault cluster";
}

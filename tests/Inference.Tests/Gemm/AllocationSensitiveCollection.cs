namespace LlmServe.Inference.Tests.Gemm;

/// <summary>
/// Tests that count bytes allocated on their thread run alone: other tests running in parallel grow the
/// shared pools (GEMM jobs and scratch, thread-pool queues) and would be charged to them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationSensitiveCollection
{
    public const string Name = "Allocation-sensitive";
}

namespace LlmServe.Scheduler.Service;

/// <summary>What a complete set of stages can hold: the smallest KV pool and context length among them.</summary>
public sealed record WorkerCapacity(int KvBlocks, int BlockSize, int MaxModelLen, IReadOnlyList<int> EosTokenIds, int StageCount, int WorkerCount);

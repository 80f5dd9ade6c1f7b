using LlmServe.Contracts;

namespace LlmServe.Scheduler.Service;

/// <summary>
/// The workers of one replica: who holds which pipeline stage and tensor-parallel rank, when each was last
/// heard from, and the capacity of the whole set. Ready when every (stage, rank) is held.
/// </summary>
/// <remarks>Workers use a fresh <c>worker_id</c> per process start, so a restart shows up as a new id.</remarks>
public sealed class WorkerRegistry
{
    private readonly Dictionary<string, Entry> _workers = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout;

    public WorkerRegistry(TimeSpan timeout)
    {
        _timeout = timeout;
    }

    public int WorkerCount => _workers.Count;

    /// <summary>Stages the announced workers say the pipeline has; 0 before the first hello.</summary>
    public int StageCount { get; private set; }

    public int TensorParallelSize { get; private set; }

    public bool IsReady => StageCount > 0 && _workers.Count >= StageCount * TensorParallelSize && AllSlotsHeld();

    /// <summary>Why the last hello was rejected, for the log.</summary>
    public string? LastRejection { get; private set; }

    public WorkerChange Hello(WorkerHello hello, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(hello);
        int stages = Math.Max(hello.StageCount, 1);
        int tp = Math.Max(hello.TpSize, 1);
        if (string.IsNullOrEmpty(hello.WorkerId) || hello.StageIndex < 0 || hello.StageIndex >= stages
            || hello.TpRank < 0 || hello.TpRank >= tp || hello.KvBlocks < 1 || hello.BlockSize < 1 || hello.MaxModelLen < 2)
        {
            return Reject($"Worker '{hello.WorkerId}' announced an invalid hello (stage {hello.StageIndex}/{stages}, rank {hello.TpRank}/{tp}, {hello.KvBlocks} blocks of {hello.BlockSize}, max_model_len {hello.MaxModelLen}).");
        }

        if (_workers.TryGetValue(hello.WorkerId, out Entry? known))
        {
            if (known.Hello.Equals(hello))
            {
                known.LastSeen = now;
                return WorkerChange.Refreshed;
            }
            _workers.Remove(hello.WorkerId);
        }
        if (_workers.Count > 0 && (stages != StageCount || tp != TensorParallelSize))
        {
            return Reject($"Worker '{hello.WorkerId}' announced {stages} stages × {tp} ranks; the others announced {StageCount} × {TensorParallelSize}.");
        }
        foreach (Entry other in _workers.Values)
        {
            if (other.Hello.BlockSize != hello.BlockSize)
            {
                return Reject($"Worker '{hello.WorkerId}' uses blocks of {hello.BlockSize} tokens; '{other.Hello.WorkerId}' uses {other.Hello.BlockSize}.");
            }
        }

        string? replaced = null;
        foreach (Entry other in _workers.Values)
        {
            if (other.Hello.StageIndex == hello.StageIndex && other.Hello.TpRank == hello.TpRank)
            {
                replaced = other.Hello.WorkerId;
                break;
            }
        }
        if (replaced is not null)
        {
            _workers.Remove(replaced);
        }
        StageCount = stages;
        TensorParallelSize = tp;
        _workers[hello.WorkerId] = new Entry(hello.Clone()) { LastSeen = now };
        return replaced is null && known is null ? WorkerChange.Added : WorkerChange.Replaced;
    }

    /// <returns>False for a worker the registry does not know (it should say hello).</returns>
    public bool Heartbeat(string workerId, DateTimeOffset now)
    {
        if (!_workers.TryGetValue(workerId, out Entry? entry))
        {
            return false;
        }
        entry.LastSeen = now;
        return true;
    }

    /// <returns>True when the worker was known.</returns>
    public bool Goodbye(string workerId)
    {
        bool removed = _workers.Remove(workerId);
        if (_workers.Count == 0)
        {
            StageCount = 0;
            TensorParallelSize = 0;
        }
        return removed;
    }

    /// <summary>A worker silent for longer than the timeout, if any.</summary>
    public string? FindSilent(DateTimeOffset now)
    {
        foreach (Entry entry in _workers.Values)
        {
            if (now - entry.LastSeen > _timeout)
            {
                return entry.Hello.WorkerId;
            }
        }
        return null;
    }

    /// <summary>Capacity of the full set; only meaningful when <see cref="IsReady"/>.</summary>
    public WorkerCapacity Capacity()
    {
        int blocks = int.MaxValue;
        int maxModelLen = int.MaxValue;
        int blockSize = 0;
        IReadOnlyList<int> eos = [];
        foreach (Entry entry in _workers.Values)
        {
            WorkerHello hello = entry.Hello;
            blocks = Math.Min(blocks, hello.KvBlocks);
            maxModelLen = Math.Min(maxModelLen, hello.MaxModelLen);
            blockSize = hello.BlockSize;
            if (hello.EosTokenIds.Count > 0 && (eos.Count == 0 || hello.StageIndex == StageCount - 1))
            {
                eos = [.. hello.EosTokenIds]; // the last stage samples, so its view wins
            }
        }
        return new WorkerCapacity(blocks, blockSize, maxModelLen, eos, StageCount, _workers.Count);
    }

    public void Clear()
    {
        _workers.Clear();
        StageCount = 0;
        TensorParallelSize = 0;
    }

    private bool AllSlotsHeld()
    {
        for (int stage = 0; stage < StageCount; stage++)
        {
            for (int rank = 0; rank < TensorParallelSize; rank++)
            {
                bool held = false;
                foreach (Entry entry in _workers.Values)
                {
                    if (entry.Hello.StageIndex == stage && entry.Hello.TpRank == rank)
                    {
                        held = true;
                        break;
                    }
                }
                if (!held)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private WorkerChange Reject(string reason)
    {
        LastRejection = reason;
        return WorkerChange.Rejected;
    }

    private sealed class Entry(WorkerHello hello)
    {
        public WorkerHello Hello { get; } = hello;

        public DateTimeOffset LastSeen { get; set; }
    }
}

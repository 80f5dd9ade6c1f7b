using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// Times every backend op of eager steps on the GPU's clock: an event recorded on the stream as each op starts, and
/// one at the end, so op i's time is event i → event i + 1 (its kernels and any gap before the next op). The bench
/// attaches one (<see cref="CudaBackend.OpTimer"/>) to see where a whole step's time goes next to the kernels' times
/// measured alone. Not for serving: each mark is a driver call.
/// </summary>
internal sealed class StepOpTimer : IDisposable
{
    private readonly CudaEvent[] _events;
    private readonly BackendOp[] _ops;
    private readonly int[] _details;
    private int _count;

    public StepOpTimer(CudaContext context, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _events = new CudaEvent[capacity];
        _ops = new BackendOp[capacity];
        _details = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _events[i] = CudaEvent.Create(context);
        }
    }

    /// <summary>Marks the start of an op (ops past the capacity are not timed; <see cref="Dropped"/> counts them).</summary>
    public void Mark(CudaStream stream, BackendOp op, int detail)
    {
        if (_count >= _events.Length - 1)
        {
            Dropped++;
            return;
        }

        _events[_count].Record(stream);
        _ops[_count] = op;
        _details[_count] = detail;
        _count++;
    }

    public int Dropped { get; private set; }

    /// <summary>Closes the last op and waits for the stream; returns each op, its detail (a linear op's output width) and milliseconds, in order.</summary>
    public IReadOnlyList<(BackendOp Op, int Detail, float Ms)> Finish(CudaStream stream)
    {
        var end = _events[_count];
        end.Record(stream);
        end.Synchronize();
        var ops = new (BackendOp, int, float)[_count];
        for (int i = 0; i < _count; i++)
        {
            ops[i] = (_ops[i], _details[i], CudaEvent.ElapsedMilliseconds(_events[i], _events[i + 1]));
        }

        _count = 0;
        Dropped = 0;
        return ops;
    }

    public void Dispose()
    {
        foreach (var e in _events)
        {
            e.Dispose();
        }
    }
}

using System.Numerics;

namespace LlmServe.Tokenization.Models;

/// <summary>
/// (left id, right id) → (rank, merged id), open addressing with a multiplicative hash. A plain
/// Dictionary&lt;long, long&gt; hashes a long as hi ^ lo, which for id pairs collides massively.
/// </summary>
internal sealed class MergeTable
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private readonly long[] _keys;
    private readonly long[] _values;
    private readonly int _shift;
    private readonly int _mask;

    public MergeTable(int count)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        _keys = new long[capacity];
        _values = new long[capacity];
        Array.Fill(_keys, -1L);
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
    }

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Sets the entry; a later duplicate merge overwrites an earlier one, as Hugging Face's map does.</summary>
    public void Set(long key, int rank, int newId)
    {
        int i = Slot(key);
        while (_keys[i] != -1 && _keys[i] != key)
        {
            i = (i + 1) & _mask;
        }

        _keys[i] = key;
        _values[i] = ((long)rank << 32) | (uint)newId;
    }

    public bool TryGet(long key, out int rank, out int newId)
    {
        int i = Slot(key);
        while (true)
        {
            long k = _keys[i];
            if (k == key)
            {
                long v = _values[i];
                rank = (int)(v >> 32);
                newId = (int)v;
                return true;
            }

            if (k == -1)
            {
                rank = 0;
                newId = 0;
                return false;
            }

            i = (i + 1) & _mask;
        }
    }

    private int Slot(long key) => (int)(((ulong)key * Golden) >> _shift);
}

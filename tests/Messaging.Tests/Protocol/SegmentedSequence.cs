using System.Buffers;

namespace LlmServe.Messaging.Tests.Protocol;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>, as a pipe hands over data split at arbitrary points.</summary>
internal sealed class SegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private SegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Create(byte[] data, IReadOnlyList<int> cuts)
    {
        var boundaries = cuts.Where(cut => cut > 0 && cut < data.Length).Distinct().Order().Append(data.Length).ToList();
        var first = new SegmentedSequence(data.AsMemory(0, boundaries[0]), 0);
        var last = first;
        for (var i = 1; i < boundaries.Count; i++)
        {
            var next = new SegmentedSequence(data.AsMemory(boundaries[i - 1], boundaries[i] - boundaries[i - 1]), boundaries[i - 1]);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}

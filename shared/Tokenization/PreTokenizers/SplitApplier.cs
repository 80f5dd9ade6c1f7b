using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>
/// Turns pattern matches into pieces the way Hugging Face's NormalizedString::split does, quirks included
/// (e.g. MergedWithPrevious merges only the first of adjacent delimiters).
/// </summary>
internal static class SplitApplier
{
    public static void Apply(
        ReadOnlySpan<char> piece,
        bool atInputStart,
        RangeList matches,
        SplitBehavior behavior,
        bool invert,
        PieceBuffer destination,
        SegmentList segments)
    {
        segments.Clear();
        int prev = 0;
        for (int i = 0; i < matches.Count; i++)
        {
            (int start, int end) = matches[i];
            if (prev != start)
            {
                segments.Add(prev, start, invert);
            }

            segments.Add(start, end, !invert);
            prev = end;
        }

        if (prev != piece.Length)
        {
            segments.Add(prev, piece.Length, invert);
        }

        switch (behavior)
        {
            case SplitBehavior.Isolated:
                for (int i = 0; i < segments.Count; i++)
                {
                    Emit(piece, atInputStart, segments[i].Start, segments[i].End, destination);
                }

                break;
            case SplitBehavior.Removed:
                for (int i = 0; i < segments.Count; i++)
                {
                    if (!segments[i].IsMatch)
                    {
                        Emit(piece, atInputStart, segments[i].Start, segments[i].End, destination);
                    }
                }

                break;
            case SplitBehavior.Contiguous:
                EmitFolded(piece, atInputStart, segments, destination, mergeWhen: static (isMatch, previousMatch) => isMatch == previousMatch);
                break;
            case SplitBehavior.MergedWithPrevious:
                EmitFolded(piece, atInputStart, segments, destination, mergeWhen: static (isMatch, previousMatch) => isMatch && !previousMatch);
                break;
            case SplitBehavior.MergedWithNext:
                EmitMergedWithNext(piece, atInputStart, segments, destination);
                break;
        }
    }

    private static void EmitFolded(
        ReadOnlySpan<char> piece, bool atInputStart, SegmentList segments, PieceBuffer destination, Func<bool, bool, bool> mergeWhen)
    {
        bool previousMatch = false;
        int pendingStart = -1;
        int pendingEnd = -1;
        for (int i = 0; i < segments.Count; i++)
        {
            ref SegmentList.Segment s = ref segments[i];
            if (mergeWhen(s.IsMatch, previousMatch) && pendingStart >= 0)
            {
                pendingEnd = s.End;
            }
            else
            {
                if (pendingStart >= 0)
                {
                    Emit(piece, atInputStart, pendingStart, pendingEnd, destination);
                }

                pendingStart = s.Start;
                pendingEnd = s.End;
            }

            previousMatch = s.IsMatch;
        }

        if (pendingStart >= 0)
        {
            Emit(piece, atInputStart, pendingStart, pendingEnd, destination);
        }
    }

    private static void EmitMergedWithNext(ReadOnlySpan<char> piece, bool atInputStart, SegmentList segments, PieceBuffer destination)
    {
        // Hugging Face folds from the right: a delimiter joins the segment after it unless that one is a delimiter too.
        bool previousMatch = false;
        int keptRight = -1;
        for (int i = segments.Count - 1; i >= 0; i--)
        {
            ref SegmentList.Segment s = ref segments[i];
            if (s.IsMatch && !previousMatch && keptRight >= 0)
            {
                segments[keptRight].Start = s.Start;
                s.End = -1; // absorbed
            }
            else
            {
                keptRight = i;
            }

            previousMatch = s.IsMatch;
        }

        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].End >= 0)
            {
                Emit(piece, atInputStart, segments[i].Start, segments[i].End, destination);
            }
        }
    }

    private static void Emit(ReadOnlySpan<char> piece, bool atInputStart, int start, int end, PieceBuffer destination)
    {
        if (end > start)
        {
            destination.Add(piece[start..end], atInputStart && start == 0);
        }
    }
}

namespace LlmServe.Tokenization;

/// <summary>
/// Finds stop strings in a stream of text deltas, across delta boundaries. Text that could be the start of
/// a stop string is held back until it resolves, so nothing after (or, unless asked, of) a stop string is
/// ever released. The stop string that completes first in the stream wins (if two complete at the same
/// character, the longer one), which makes the outcome independent of how the text was split into deltas.
/// Not thread-safe: one instance per sequence.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly bool _includeStopString;
    private string _held = string.Empty;

    /// <param name="stopStrings">Stop strings; empty ones are ignored.</param>
    /// <param name="includeStopString">Whether the released text ends with the matched stop string.</param>
    public StopStringMatcher(IEnumerable<string> stopStrings, bool includeStopString = false)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stops = [.. stopStrings.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal)];
        _includeStopString = includeStopString;
    }

    /// <summary>True once a stop string was found; later deltas are ignored.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The stop string that ended the stream, once <see cref="IsStopped"/>.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>Characters currently held back as a possible partial match.</summary>
    public int HeldLength => _held.Length;

    /// <summary>Feeds one delta; returns the text that is now safe to release.</summary>
    public string Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (IsStopped || delta.Length == 0)
        {
            return string.Empty;
        }

        if (_stops.Length == 0)
        {
            return delta;
        }

        string text = _held.Length == 0 ? delta : string.Concat(_held, delta);
        int bestIndex = -1;
        string? best = null;
        foreach (string stop in _stops)
        {
            int i = text.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (bestIndex < 0 || i + stop.Length < bestIndex + best!.Length
                || (i + stop.Length == bestIndex + best.Length && i < bestIndex)))
            {
                bestIndex = i;
                best = stop;
            }
        }

        if (best is not null)
        {
            IsStopped = true;
            MatchedStopString = best;
            _held = string.Empty;
            return text[..(bestIndex + (_includeStopString ? best.Length : 0))];
        }

        int hold = 0;
        foreach (string stop in _stops)
        {
            for (int k = Math.Min(stop.Length - 1, text.Length); k > hold; k--)
            {
                if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    hold = k;
                    break;
                }
            }
        }

        _held = hold == 0 ? string.Empty : text[^hold..];
        return hold == 0 ? text : text[..^hold];
    }

    /// <summary>At the end of the stream: releases any held partial match (it never completed).</summary>
    public string Flush()
    {
        string rest = IsStopped ? string.Empty : _held;
        _held = string.Empty;
        return rest;
    }
}

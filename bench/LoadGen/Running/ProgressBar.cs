using System.Globalization;

namespace LlmServe.LoadGen.Running;

/// <summary>
/// A plain-text progress line on stderr: redrawn in place (carriage return) on a terminal, one line per tenth of
/// the run when redirected to a file so that logs stay short.
/// </summary>
public sealed class ProgressBar(TextWriter output, int total, bool redraw)
{
    private const int Width = 30;
    private readonly Lock _lock = new();
    private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _done;
    private int _failed;
    private int _lastTenth = -1;
    private long _lastDraw;

    public void Report(bool success)
    {
        lock (_lock)
        {
            _done++;
            if (!success)
            {
                _failed++;
            }
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            int tenth = _done * 10 / total;
            if (redraw)
            {
                if (_done == total || System.Diagnostics.Stopwatch.GetElapsedTime(_lastDraw, now).TotalMilliseconds >= 200)
                {
                    _lastDraw = now;
                    output.Write("\r" + Line());
                    if (_done == total)
                    {
                        output.WriteLine();
                    }
                }
            }
            else if (tenth != _lastTenth)
            {
                _lastTenth = tenth;
                output.WriteLine(Line());
            }
        }
    }

    private string Line()
    {
        int filled = _done * Width / total;
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {_done}/{total} done, {_failed} failed, {seconds:F1} s");
    }
}

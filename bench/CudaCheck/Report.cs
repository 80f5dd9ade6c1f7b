using System.Globalization;
using System.Text;

namespace LlmServe.CudaCheck;

/// <summary>Collects PASS/FAIL lines and timing rows; prints them and writes them under $OUT.</summary>
internal sealed class Report
{
    private readonly StringBuilder _log = new();
    private readonly List<string> _timings = [];

    public int Failures { get; private set; }

    public int Checks { get; private set; }

    public void Check(string name, bool ok, string detail)
    {
        Checks++;
        if (!ok)
        {
            Failures++;
        }

        Line($"{(ok ? "PASS" : "FAIL")} {name}: {detail}");
    }

    public void Line(string text)
    {
        Console.WriteLine(text);
        _log.AppendLine(text);
    }

    public void Timing(string row)
    {
        _timings.Add(row);
        Line("TIME " + row);
    }

    public string Summary()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"checks: {Checks}, failures: {Failures}");
        foreach (var t in _timings)
        {
            s.AppendLine(t);
        }

        return s.ToString();
    }

    public void Save(string? directory)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "cudacheck.txt"), _log.ToString() + "\n" + Summary());
    }
}

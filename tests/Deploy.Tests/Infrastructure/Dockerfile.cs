using System.Text.Json;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>A parsed Dockerfile: enough of the syntax to check COPY sources, stages, users and commands.</summary>
public sealed class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<DockerfileInstruction> instructions)
    {
        Path = path;
        Instructions = instructions;
    }

    public string Path { get; }

    public IReadOnlyList<DockerfileInstruction> Instructions { get; }

    public int FinalStage => Instructions.Max(i => i.Stage);

    public IEnumerable<DockerfileInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<DockerfileInstruction> InFinalStage(string keyword) => All(keyword).Where(i => i.Stage == FinalStage);

    public static Dockerfile Load(string path)
    {
        var instructions = new List<DockerfileInstruction>();
        string[] lines = File.ReadAllLines(path);
        int stage = -1;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            int start = i + 1;
            var text = new System.Text.StringBuilder();
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                text.Append(line.AsSpan(0, line.Length - 1)).Append(' ');
                line = lines[++i].Trim();
                while (line.StartsWith('#') && i + 1 < lines.Length)
                {
                    line = lines[++i].Trim();
                }
            }
            text.Append(line);
            string full = text.ToString();
            int space = full.IndexOf(' ', StringComparison.Ordinal);
            string keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            string arguments = space < 0 ? string.Empty : full[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                stage++;
            }
            instructions.Add(new DockerfileInstruction(keyword, arguments, stage, start));
        }
        return new Dockerfile(path, instructions);
    }

    /// <summary>Splits COPY/ADD arguments into flags, sources and destination (shell or JSON form).</summary>
    public static (IReadOnlyList<string> Flags, IReadOnlyList<string> Sources, string Destination) SplitCopy(string arguments)
    {
        var words = new List<string>();
        var flags = new List<string>();
        foreach (string word in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (words.Count == 0 && word.StartsWith("--", StringComparison.Ordinal))
            {
                flags.Add(word);
            }
            else
            {
                words.Add(word);
            }
        }
        string rest = string.Join(' ', words);
        if (rest.StartsWith('['))
        {
            words = JsonSerializer.Deserialize<List<string>>(rest) ?? [];
        }
        if (words.Count < 2)
        {
            throw new InvalidDataException($"COPY needs a source and a destination: '{arguments}'.");
        }
        return (flags, words[..^1], words[^1]);
    }

    /// <summary>The words of an exec-form (JSON array) instruction such as ENTRYPOINT or HEALTHCHECK CMD.</summary>
    public static IReadOnlyList<string> ExecForm(string arguments)
    {
        int bracket = arguments.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? [] : JsonSerializer.Deserialize<List<string>>(arguments[bracket..]) ?? [];
    }

    /// <summary>ENV instruction pairs (key=value form, values possibly quoted).</summary>
    public IReadOnlyDictionary<string, string> FinalEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in InFinalStage("ENV"))
        {
            foreach (string pair in instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    env[pair[..eq]] = pair[(eq + 1)..].Trim('"');
                }
            }
        }
        return env;
    }
}

using System.Text.RegularExpressions;
using System.Xml.Linq;
using LlmServe.Deploy.Tests.Infrastructure;

namespace LlmServe.Deploy.Tests;

public sealed partial class DockerfileTests
{
    public static TheoryData<string> Services => [.. RepoFiles.Services];

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_copy_source_exists_in_the_build_context(string service)
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile(service));
        var missing = new List<string>();
        foreach (var copy in dockerfile.All("COPY"))
        {
            var (flags, sources, _) = Dockerfile.SplitCopy(copy.Arguments);
            if (flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            {
                continue;
            }
            missing.AddRange(sources.Where(s => !File.Exists(RepoFiles.At(s)) && !Directory.Exists(RepoFiles.At(s)))
                .Select(s => $"line {copy.Line}: {s}"));
        }
        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Copy_sources_are_not_excluded_by_dockerignore(string service)
    {
        var ignored = File.ReadAllLines(RepoFiles.At(".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("**", StringComparison.Ordinal))
            .Select(l => l.TrimEnd('/'))
            .ToList();
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile(service));
        var sources = dockerfile.All("COPY")
            .Select(c => Dockerfile.SplitCopy(c.Arguments))
            .Where(c => !c.Flags.Any(f => f.StartsWith("--from=", StringComparison.Ordinal)))
            .SelectMany(c => c.Sources)
            .Select(s => s.TrimEnd('/'));
        var excluded = sources.Where(s => ignored.Any(i => s == i || s.StartsWith(i + "/", StringComparison.Ordinal))).ToList();
        Assert.Empty(excluded);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Restore_layer_copies_every_project_the_service_references(string service)
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile(service));
        var copied = dockerfile.All("COPY")
            .Select(c => Dockerfile.SplitCopy(c.Arguments))
            .SelectMany(c => c.Sources)
            .Where(s => s.EndsWith(".csproj", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var needed = ProjectClosure($"services/{service}/{service}.csproj");
        var notCopied = needed.Where(p => !copied.Contains(p)).ToList();
        Assert.Empty(notCopied);
        foreach (string props in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.Contains(dockerfile.All("COPY"), c => Dockerfile.SplitCopy(c.Arguments).Sources.Contains(props));
        }
        // The restore must come before the sources are copied, or every source edit re-downloads packages.
        int restore = dockerfile.All("RUN").First(r => r.Arguments.Contains("dotnet restore", StringComparison.Ordinal)).Line;
        int sourcesCopied = dockerfile.All("COPY").First(c => Dockerfile.SplitCopy(c.Arguments).Sources.Contains("shared/")).Line;
        Assert.True(restore < sourcesCopied, $"restore (line {restore}) must precede copying sources (line {sourcesCopied})");
    }

    [Fact]
    public void Build_stages_are_identical_up_to_the_service_specific_copy_so_the_restore_layer_is_shared()
    {
        var prefixes = RepoFiles.Services.Select(s =>
        {
            var instructions = Dockerfile.Load(RepoFiles.Dockerfile(s)).Instructions;
            return string.Join('\n', instructions.TakeWhile(i => !i.Arguments.Contains($"services/{s}/ ", StringComparison.Ordinal))
                .Select(i => i.Keyword + " " + i.Arguments));
        }).Distinct().ToList();
        Assert.Single(prefixes);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Publish_targets_the_service_project_and_the_entrypoint_runs_its_assembly(string service)
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile(service));
        var publish = Assert.Single(dockerfile.All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var project = PublishProjectRegex().Match(publish.Arguments);
        Assert.True(project.Success, publish.Arguments);
        Assert.Equal($"services/{service}/{service}.csproj", project.Groups[1].Value);
        Assert.Contains("-o /app", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-c Release", publish.Arguments, StringComparison.Ordinal);

        var entrypoint = Dockerfile.ExecForm(Assert.Single(dockerfile.InFinalStage("ENTRYPOINT")).Arguments);
        // Directory.Build.props names every assembly LlmServe.<ProjectName>.
        Assert.Equal(["dotnet", $"LlmServe.{service}.dll"], entrypoint);
        Assert.Contains(dockerfile.InFinalStage("COPY"), c => c.Arguments.StartsWith("--from=build /app", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Final_image_runs_as_a_non_root_user_on_the_expected_base(string service)
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile(service));
        var user = Assert.Single(dockerfile.InFinalStage("USER")).Arguments;
        Assert.Contains(user, new[] { "app", "1654" });
        string from = dockerfile.InFinalStage("FROM").Single().Arguments;
        string expected = service switch
        {
            "Gateway" => "mcr.microsoft.com/dotnet/aspnet:10.0",
            "Worker" => "nvidia/cuda:",
            _ => "mcr.microsoft.com/dotnet/runtime:10.0",
        };
        Assert.StartsWith(expected, from, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", dockerfile.All("FROM").First().Arguments, StringComparison.Ordinal);
        Assert.Equal("/tmp", dockerfile.FinalEnvironment()["TMPDIR"]);
    }

    [Fact]
    public void Worker_image_brings_the_dotnet_runtime_from_the_runtime_image()
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile("Worker"));
        var dotnetStage = dockerfile.All("FROM").Single(f => f.Arguments.StartsWith("mcr.microsoft.com/dotnet/runtime:10.0", StringComparison.Ordinal));
        string alias = dotnetStage.Arguments.Split(' ')[^1];
        Assert.Contains(dockerfile.InFinalStage("COPY"), c => c.Arguments.StartsWith($"--from={alias} /usr/share/dotnet", StringComparison.Ordinal));
        Assert.Equal("/usr/share/dotnet", dockerfile.FinalEnvironment()["DOTNET_ROOT"]);
    }

    [Fact]
    public void Gateway_image_listens_where_it_is_probed_and_has_a_healthcheck()
    {
        var dockerfile = Dockerfile.Load(RepoFiles.Dockerfile("Gateway"));
        string port = dockerfile.FinalEnvironment()["ASPNETCORE_HTTP_PORTS"];
        Assert.Equal(port, Assert.Single(dockerfile.InFinalStage("EXPOSE")).Arguments);
        var healthcheck = Assert.Single(dockerfile.InFinalStage("HEALTHCHECK"));
        Assert.Contains($"/dev/tcp/127.0.0.1/{port}", healthcheck.Arguments, StringComparison.Ordinal);
        Assert.Contains("GET /health ", healthcheck.Arguments, StringComparison.Ordinal);
    }

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static SortedSet<string> ProjectClosure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }
            string directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(RepoFiles.At(current)).Descendants("ProjectReference"))
            {
                string full = Path.GetFullPath(Path.Combine(RepoFiles.At(directory), reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(RepoFiles.Root, full).Replace('\\', '/'));
            }
        }
        return seen;
    }

    [GeneratedRegex(@"dotnet publish (\S+\.csproj)")]
    private static partial Regex PublishProjectRegex();
}

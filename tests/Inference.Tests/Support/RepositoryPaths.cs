namespace LlmServe.Inference.Tests.Support;

/// <summary>Locates checked-in fixtures from the test's output directory.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string ModelFixtures => Path.Combine(Root, "tests", "fixtures", "models");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Services.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Services.sln not found above " + AppContext.BaseDirectory);
    }
}

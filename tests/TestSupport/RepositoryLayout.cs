namespace LlmServe.TestSupport;

/// <summary>Finds the repository and the built service programs from a test's output folder.</summary>
public static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the tests were built in (Debug/Release), read off the test's own path.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>Path of a service's built dll, e.g. <c>ServiceDll("Worker")</c>; fails clearly when it was not built.</summary>
    public static string ServiceDll(string service)
    {
        string path = Path.Combine(Root, "services", service, "bin", Configuration, "net10.0", $"LlmServe.{service}.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: build the solution (dotnet build -c {Configuration}) before these tests.", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Services.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Services.sln not found above " + AppContext.BaseDirectory);
    }
}

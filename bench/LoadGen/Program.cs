using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Running;

// Usage: see LoadGenArguments.Usage (dotnet LlmServe.LoadGen.dll --help).
if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(LoadGenArguments.Usage);
    return args.Length == 0 ? 2 : 0;
}

LoadGenOptions options;
try
{
    options = LoadGenArguments.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadGenArguments.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var report = await LoadGenApplication.RunAsync(options, Console.Out, Console.Error, cancel.Token);
// Exit 1 when nothing succeeded, so scripts notice a dead target; partial failures are in the report.
return report.Summary.Completed == 0 ? 1 : 0;

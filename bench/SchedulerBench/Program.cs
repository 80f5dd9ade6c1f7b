using System.Globalization;
using LlmServe.Messaging;
using LlmServe.SchedulerBench;

// Usage: SchedulerBench [--nats nats://127.0.0.1:4222] [--sequences 256] [--steps 2000] [--seconds 5] [--async both|on|off]
string? natsUrl = null;
string asyncMode = "both";
int sequences = 256;
int steps = 2000;
int seconds = 5;
for (int i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--nats": natsUrl = args[++i]; break;
        case "--sequences": sequences = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--async": asyncMode = args[++i]; break;
    }
}

Console.WriteLine($"Scheduler bench: {sequences} sequences, steady-state decode, .NET {Environment.Version}, {Environment.ProcessorCount} cores");
Console.WriteLine();

PlanningBench.Run(sequences, 500); // warm-up run: JIT and tiering
PlanningBench.Result planning = PlanningBench.Run(sequences, steps);
Console.WriteLine("| stage (no bus) | µs per step |");
Console.WriteLine("| --- | ---: |");
Console.WriteLine(Invariant($"| plan (PlanStep, {planning.Sequences} decodes) | {planning.PlanMicros:F1} |"));
Console.WriteLine(Invariant($"| serialize StepPlan ({planning.PlanBytes} bytes) | {planning.SerializeMicros:F1} |"));
Console.WriteLine(Invariant($"| apply result (tokens, stop checks, outputs) | {planning.ApplyMicros:F1} |"));
Console.WriteLine(Invariant($"| allocated per step (plan + apply) | {planning.AllocatedBytesPerStep:F0} bytes |"));
Console.WriteLine();

bool[] modes = asyncMode switch
{
    "on" => [true],
    "off" => [false],
    "both" => [false, true],
    _ => throw new ArgumentException($"--async must be both, on or off, not '{asyncMode}'"),
};
var rows = new List<RoundTripBench.Result>();
foreach (bool asyncScheduling in modes)
{
    await using (var a = new InProcessBus())
    {
        rows.Add(await RoundTripBench.RunAsync("InProcessBus", a, a, sequences, TimeSpan.FromSeconds(seconds), asyncScheduling));
    }
    if (natsUrl is not null)
    {
        await using NatsBus scheduler = await NatsBus.ConnectAsync(new NatsBusOptions { Url = natsUrl, Name = "bench-scheduler" });
        await using NatsBus worker = await NatsBus.ConnectAsync(new NatsBusOptions { Url = natsUrl, Name = "bench-worker" });
        rows.Add(await RoundTripBench.RunAsync($"NatsBus ({natsUrl})", scheduler, worker, sequences, TimeSpan.FromSeconds(seconds), asyncScheduling));
    }
}

Console.WriteLine("| bus | steps in flight | sequences | steps | µs per step (plan + publish + worker + result + apply + deltas) | worker parse+answer µs | largest plan bytes |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (RoundTripBench.Result r in rows)
{
    Console.WriteLine(Invariant($"| {r.Bus} | {r.StepsInFlight} | {r.Sequences} | {r.Steps} | {r.MicrosPerStep:F1} | {r.WorkerParseMicros:F1} | {r.PlanBytes} |"));
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

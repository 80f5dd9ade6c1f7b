namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>The JSON key of each <see cref="Hop"/> in <c>llmserve_timing</c> (microseconds).</summary>
internal static class HopNames
{
    public const Hop FirstSteadyHop = Hop.SchedulerQueue;

    private static readonly string[] Names =
    [
        "gateway_us", "gateway_to_tokenizer_us", "tokenizer_us", "tokenizer_to_scheduler_us", "scheduler_admit_us", "scheduler_queue_us",
        "worker_execute_us", "worker_bus_us", "scheduler_publish_us", "scheduler_to_detokenizer_us", "detokenizer_us",
        "detokenizer_to_gateway_us", "gateway_write_us",
    ];

    public static int Count => Names.Length;

    public static string Of(Hop hop) => Names[(int)hop];
}

using LlmServe.MessagingBench;

// Same measurements, same output format as bench/messaging/cbench.c, so run.sh can put both in one table.
// usage: MessagingBench <url> <n16> <n128> <n4k> <pubsub-count> <request-count>
//        MessagingBench probe <url>   (tuning diagnostics, not part of the table)
if (args is ["probe", var probeUrl])
{
    await SerializeProbe.RunAsync(probeUrl);
    return 0;
}

if (args.Length != 6)
{
    Console.Error.WriteLine("usage: MessagingBench url n16 n128 n4k pubsub-count request-count");
    return 2;
}

var url = args[0];
var counts = args[1..].Select(int.Parse).ToArray();
await PublishBenchmark.RunAsync(url, 16, counts[0]);
await PublishBenchmark.RunAsync(url, 128, counts[1]);
await PublishBenchmark.RunAsync(url, 4096, counts[2]);
await PubSubBenchmark.RunAsync(url, 128, counts[3]);
await RequestLatencyBenchmark.RunAsync(url, 128, counts[4]);
return 0;

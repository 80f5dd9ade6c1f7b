using System.Globalization;
using System.Text;

namespace LlmServe.Contracts;

/// <summary>
/// Every NATS subject and queue-group name the services use. No other code spells a subject.
/// </summary>
/// <remarks>
/// Model names such as <c>meta-llama/Llama-3.1-8B</c> contain characters that are not valid inside a
/// subject token ('.', '*', '>', whitespace), so they are escaped into one token by <see cref="Token"/>.
/// </remarks>
public static class Subjects
{
    public const string Root = "llm";

    /// <summary>Queue group shared by the tokenizer replicas of a model.</summary>
    public const string TokenizerQueue = "tokenizers";

    /// <summary>Queue group shared by the data-parallel scheduler replicas of a model.</summary>
    public const string SchedulerQueue = "schedulers";

    /// <summary>gateway → tokenizer: generate and tokenize-only requests.</summary>
    public static string Tokenize(string model) => $"{Root}.{Token(model)}.tokenize";

    /// <summary>gateway → tokenizer: POST /detokenize (request/reply).</summary>
    public static string Detokenize(string model) => $"{Root}.{Token(model)}.detokenize";

    /// <summary>tokenizer → scheduler replicas (queue group).</summary>
    public static string Schedule(string model) => $"{Root}.{Token(model)}.schedule";

    /// <summary>gateway/detokenizer → every scheduler replica of a model.</summary>
    public static string Cancel(string model) => $"{Root}.{Token(model)}.cancel";

    /// <summary>scheduler → every stage of replica <paramref name="replica"/>.</summary>
    public static string Step(string model, string replica) => $"{Root}.{Token(model)}.{Token(replica)}.step";

    /// <summary>last stage → scheduler of replica <paramref name="replica"/>.</summary>
    public static string Result(string model, string replica) => $"{Root}.{Token(model)}.{Token(replica)}.result";

    /// <summary>stage <paramref name="stage"/>-1 → stage <paramref name="stage"/> activations (CPU link only).</summary>
    public static string Hidden(string model, string replica, int stage) =>
        $"{Root}.{Token(model)}.{Token(replica)}.hidden.{stage.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>workers ↔ scheduler: hello, heartbeat, goodbye.</summary>
    public static string Workers(string model, string replica) => $"{Root}.{Token(model)}.{Token(replica)}.workers";

    /// <summary>scheduler → workers: announce yourselves (sent when a scheduler starts).</summary>
    public static string RollCall(string model, string replica) => $"{Root}.{Token(model)}.{Token(replica)}.rollcall";

    /// <summary>rank 0 serves the NCCL unique id of a replica here (request/reply).</summary>
    public static string NcclId(string model, string replica) => $"{Root}.{Token(model)}.{Token(replica)}.ncclid";

    /// <summary>scheduler → detokenizer shard.</summary>
    public static string Detok(string model, int shard) =>
        $"{Root}.{Token(model)}.detok.{shard.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Scheduler replicas publish <c>SchedulerStatus</c> here.</summary>
    public static string Status(string model) => $"{Root}.status.{Token(model)}";

    /// <summary>Wildcard matching the status of every model.</summary>
    public const string AllStatus = Root + ".status.*";

    /// <summary>
    /// Tokenizer and detokenizer processes publish <c>ServiceHeartbeat</c> here; <paramref name="service"/> is one of
    /// <see cref="ServiceKinds"/>.
    /// </summary>
    public static string Heartbeat(string service, string model) => $"{Root}.heartbeat.{Token(service)}.{Token(model)}";

    /// <summary>Wildcard matching the heartbeats of every service kind and model.</summary>
    public const string AllHeartbeats = Root + ".heartbeat.*.*";

    /// <summary>Prefix of per-request reply subjects. Each request appends an unguessable id.</summary>
    public const string ReplyPrefix = "_LLM_REPLY";

    /// <summary>A fresh, unguessable reply subject for one request.</summary>
    public static string NewReplySubject(string gatewayId) =>
        $"{ReplyPrefix}.{Token(gatewayId)}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))}";

    /// <summary>
    /// Prefix of the reply-to subjects a service sets on a one-way publish only to learn that nobody subscribes: NATS
    /// answers such a publish with a 503 status message on its reply-to, delivered to the publisher's own subscription.
    /// </summary>
    public const string NoRespondersPrefix = "_LLM_NR";

    /// <summary>Where the 503s of one service instance's one-way publishes arrive: subscribe to this plus <c>.&gt;</c>.</summary>
    public static string NoResponders(string instanceId) => $"{NoRespondersPrefix}.{Token(instanceId)}";

    /// <summary>Which detokenizer shard owns a request: stable for a request id and shard count.</summary>
    public static int DetokShardOf(string requestId, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        // FNV-1a: stable across processes and runtimes, unlike string.GetHashCode.
        uint hash = 2166136261;
        foreach (char c in requestId)
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)(hash % (uint)shardCount);
    }

    /// <summary>Escapes a name into a single valid subject token.</summary>
    public static string Token(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var sb = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            sb.Append(c is '.' or '*' or '>' or ' ' or '\t' or '\r' or '\n' or '/' ? '_' : c);
        }
        return sb.ToString();
    }
}

using System.Text.RegularExpressions;
using LlmServe.Contracts;
using LlmServe.Deploy.Tests.Infrastructure;

namespace LlmServe.Deploy.Tests;

/// <summary>
/// The per-service NATS users in deploy/compose/nats.conf and the kustomize base's copy: the same grants in both, each
/// service allowed every subject it uses (spelled by <see cref="Subjects"/>, so a new subject fails here first) and
/// nothing it does not; only gateways may read the per-request reply subjects.
/// </summary>
public sealed partial class NatsPermissionsTests
{
    public static readonly string[] Users = ["gateway", "tokenizer", "scheduler", "worker", "detokenizer"];

    private const string Model = "m";
    private const string Replica = "0";

    /// <summary>What each service publishes and subscribes to, as the code spells it (model "m", replica "0").</summary>
    private static readonly Dictionary<string, (string[] Publish, string[] Subscribe)> Uses = new(StringComparer.Ordinal)
    {
        ["gateway"] = (
            [Subjects.Tokenize(Model), Subjects.Detokenize(Model), Subjects.Cancel(Model)],
            [Subjects.NewReplySubject("gw-1"), "_INBOX.gateway.abc.*", Subjects.AllStatus, Subjects.Status(Model), Subjects.AllHeartbeats]),
        ["tokenizer"] = (
            [Subjects.Schedule(Model), Subjects.NewReplySubject("gw-1"), "_INBOX.gateway.abc.1", Subjects.Heartbeat(ServiceKinds.Tokenizer, Model)],
            [Subjects.Tokenize(Model), Subjects.Detokenize(Model), Subjects.NoResponders("tokenizer-1") + ".>", "_INBOX.tokenizer.abc.*"]),
        ["scheduler"] = (
            [Subjects.Step(Model, Replica), Subjects.RollCall(Model, Replica), Subjects.Detok(Model, 0), Subjects.Status(Model), Subjects.NewReplySubject("gw-1")],
            [Subjects.Schedule(Model), Subjects.Cancel(Model), Subjects.Result(Model, Replica), Subjects.Workers(Model, Replica), Subjects.NoResponders("scheduler-0-1") + ".>", "_INBOX.scheduler.abc.*"]),
        ["worker"] = (
            [Subjects.Result(Model, Replica), Subjects.Workers(Model, Replica), Subjects.Hidden(Model, Replica, 1), Subjects.NcclId(Model, Replica), "_INBOX.worker.abc.1"],
            [Subjects.Step(Model, Replica), Subjects.RollCall(Model, Replica), Subjects.Hidden(Model, Replica, 1), Subjects.NcclId(Model, Replica), "_INBOX.worker.abc.*"]),
        ["detokenizer"] = (
            [Subjects.NewReplySubject("gw-1"), Subjects.Cancel(Model), Subjects.Heartbeat(ServiceKinds.Detokenizer, Model)],
            [Subjects.Detok(Model, 0), "_INBOX.detokenizer.abc.*"]),
    };

    private static Dictionary<string, (List<string> Publish, List<string> Subscribe)> Grants(string config)
    {
        var grants = new Dictionary<string, (List<string>, List<string>)>(StringComparer.Ordinal);
        foreach (Match user in UserRegex().Matches(config))
        {
            grants[user.Groups["user"].Value] = (List(user.Groups["pub"].Value), List(user.Groups["sub"].Value));
        }
        return grants;
    }

    private static List<string> List(string items) =>
        [.. items.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(i => i.Trim('"'))];

    private static string ComposeConfig => File.ReadAllText(RepoFiles.At("deploy/compose/nats.conf"));

    private static string KubernetesConfig =>
        ManifestSet.LoadResources(RepoFiles.At("deploy/k8s/base")).Get("ConfigMap", "llmserve-nats-config").Body.Map("data").Str("nats.conf")!;

    /// <summary>NATS matching of a (possibly wildcard) subject against a permission: '*' one token, '>' the rest.</summary>
    public static bool Allows(string permission, string subject)
    {
        string[] p = permission.Split('.');
        string[] s = subject.Split('.');
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return s.Length > i;
            }
            if (i >= s.Length || (p[i] != "*" && p[i] != s[i]) || (p[i] == "*" && s[i] == ">"))
            {
                return false;
            }
        }
        return p.Length == s.Length;
    }

    [Fact]
    public void Compose_and_kubernetes_grant_the_same_subjects_to_the_same_users()
    {
        var compose = Grants(ComposeConfig);
        var kubernetes = Grants(KubernetesConfig);
        Assert.Equal(Users.Order(StringComparer.Ordinal), compose.Keys.Order(StringComparer.Ordinal));
        foreach (string user in Users)
        {
            Assert.Equal(compose[user].Publish, kubernetes[user].Publish);
            Assert.Equal(compose[user].Subscribe, kubernetes[user].Subscribe);
        }
    }

    [Fact]
    public void Every_user_may_use_every_subject_its_service_uses_and_every_grant_is_used()
    {
        var grants = Grants(ComposeConfig);
        var problems = new List<string>();
        foreach (string user in Users)
        {
            var (publish, subscribe) = Uses[user];
            Check(user, "publish", publish, grants[user].Publish, problems);
            Check(user, "subscribe", subscribe, grants[user].Subscribe, problems);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void Check(string user, string action, string[] used, List<string> granted, List<string> problems)
    {
        problems.AddRange(used.Where(subject => !granted.Any(g => Allows(g, subject))).Select(subject => $"{user} may not {action} {subject}"));
        problems.AddRange(granted.Where(g => !used.Any(subject => Allows(g, subject))).Select(g => $"{user} is granted {action} {g} but uses no such subject"));
    }

    [Fact]
    public void Only_gateways_may_read_reply_subjects_and_nobody_gets_everything()
    {
        var grants = Grants(ComposeConfig);
        string reply = Subjects.NewReplySubject("gw-1");
        foreach (string user in Users)
        {
            Assert.Equal(user == "gateway", grants[user].Subscribe.Any(g => Allows(g, reply) || Allows(g, Subjects.ReplyPrefix + ".>")));
            Assert.DoesNotContain(">", grants[user].Publish.Concat(grants[user].Subscribe));
            // Each user reads only its own inbox (the client names its inbox after its user).
            Assert.All(Users.Where(other => other != user), other => Assert.DoesNotContain(grants[user].Subscribe, g => Allows(g, $"_INBOX.{other}.abc.1")));
        }
        // Only the gateway starts generations; only the scheduler plans steps; only workers report results.
        Assert.Equal(["gateway"], Users.Where(u => grants[u].Publish.Any(g => Allows(g, Subjects.Tokenize(Model)))));
        Assert.Equal(["scheduler"], Users.Where(u => grants[u].Publish.Any(g => Allows(g, Subjects.Step(Model, Replica)))));
        Assert.Equal(["worker"], Users.Where(u => grants[u].Publish.Any(g => Allows(g, Subjects.Result(Model, Replica)))));
        // Each heartbeat comes from its own kind of service only: nobody can pass for another.
        Assert.Equal(["tokenizer"], Users.Where(u => grants[u].Publish.Any(g => Allows(g, Subjects.Heartbeat(ServiceKinds.Tokenizer, Model)))));
        Assert.Equal(["detokenizer"], Users.Where(u => grants[u].Publish.Any(g => Allows(g, Subjects.Heartbeat(ServiceKinds.Detokenizer, Model)))));
    }

    [GeneratedRegex(@"user:\s*(?<user>\w+)\s+password:\s*\$\w+\s+permissions:\s*\{\s*publish:\s*\[(?<pub>[^\]]*)\]\s*subscribe:\s*\[(?<sub>[^\]]*)\]", RegexOptions.Singleline)]
    private static partial Regex UserRegex();
}

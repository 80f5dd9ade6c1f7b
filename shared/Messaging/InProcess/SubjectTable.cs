using System.Collections.Concurrent;
using LlmServe.Messaging.Subjects;

namespace LlmServe.Messaging.InProcess;

/// <summary>
/// The in-process bus's routing table. Matching a subject against every subscription is done once and
/// cached per subject, so steady traffic costs one dictionary look-up; any subscribe or unsubscribe clears
/// the cache. A publish racing an unsubscribe may still reach the removed subscription, which ignores it.
/// </summary>
internal sealed class SubjectTable
{
    private const int MaxCachedSubjects = 16_384;

    private readonly Lock gate = new();
    private readonly List<(string Subject, string? QueueGroup, IMessageTarget Target)> entries = [];
    private readonly ConcurrentDictionary<string, SubjectMatch> cache = new(StringComparer.Ordinal);

    public void Add(string subject, string? queueGroup, IMessageTarget target)
    {
        lock (gate)
        {
            entries.Add((subject, queueGroup, target));
            cache.Clear();
        }
    }

    public bool Remove(IMessageTarget target)
    {
        lock (gate)
        {
            var removed = entries.RemoveAll(entry => ReferenceEquals(entry.Target, target)) > 0;
            cache.Clear();
            return removed;
        }
    }

    /// <summary>Removes every entry whose target is <typeparamref name="T"/> and returns those targets.</summary>
    public IReadOnlyList<T> RemoveAll<T>()
        where T : IMessageTarget
    {
        lock (gate)
        {
            var removed = entries.Select(entry => entry.Target).OfType<T>().ToList();
            entries.RemoveAll(entry => entry.Target is T);
            cache.Clear();
            return removed;
        }
    }

    public SubjectMatch Match(string subject)
    {
        if (cache.TryGetValue(subject, out var match))
        {
            return match;
        }

        lock (gate)
        {
            match = Build(subject);
            if (cache.Count >= MaxCachedSubjects)
            {
                cache.Clear();
            }

            cache[subject] = match;
            return match;
        }
    }

    private SubjectMatch Build(string subject)
    {
        List<IMessageTarget>? plain = null;
        Dictionary<string, List<IMessageTarget>>? groups = null;
        foreach (var (pattern, queueGroup, target) in entries)
        {
            if (!SubjectMatcher.IsMatch(pattern, subject))
            {
                continue;
            }

            if (queueGroup is null)
            {
                (plain ??= []).Add(target);
            }
            else
            {
                groups ??= new Dictionary<string, List<IMessageTarget>>(StringComparer.Ordinal);
                if (!groups.TryGetValue(queueGroup, out var members))
                {
                    groups[queueGroup] = members = [];
                }

                members.Add(target);
            }
        }

        if (plain is null && groups is null)
        {
            return SubjectMatch.Empty;
        }

        return new SubjectMatch(
            plain?.ToArray() ?? [],
            groups?.Select(group => new QueueGroupMembers(group.Key, [.. group.Value])).ToArray() ?? []);
    }
}

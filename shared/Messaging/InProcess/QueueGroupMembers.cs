namespace LlmServe.Messaging.InProcess;

/// <summary>The members of one queue group that match a subject; each message goes to the next one in turn.</summary>
internal sealed class QueueGroupMembers(string name, IMessageTarget[] members)
{
    private uint next;

    public string Name { get; } = name;

    public IMessageTarget[] Members { get; } = members;

    public IMessageTarget Pick() => Members[Interlocked.Increment(ref next) % (uint)Members.Length];
}

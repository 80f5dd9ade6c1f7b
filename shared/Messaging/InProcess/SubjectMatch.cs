namespace LlmServe.Messaging.InProcess;

/// <summary>Who receives a message on one subject: every plain subscriber, and one member per queue group.</summary>
internal sealed class SubjectMatch(IMessageTarget[] plain, QueueGroupMembers[] groups)
{
    public static SubjectMatch Empty { get; } = new([], []);

    public IMessageTarget[] Plain { get; } = plain;

    public QueueGroupMembers[] Groups { get; } = groups;

    public bool IsEmpty => Plain.Length == 0 && Groups.Length == 0;
}

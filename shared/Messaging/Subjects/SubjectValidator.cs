using System.Buffers;

namespace LlmServe.Messaging.Subjects;

/// <summary>
/// Checks subjects before they reach the wire: a space or line break inside a subject would corrupt the
/// protocol framing, and a malformed wildcard would silently never match.
/// </summary>
internal static class SubjectValidator
{
    private static readonly SearchValues<char> Forbidden = SearchValues.Create(" \t\r\n\0");

    /// <summary>A subject a message is published to (or a reply-to): non-empty, no whitespace, no empty tokens.</summary>
    public static void ValidatePublish(string subject, string parameterName)
    {
        if (string.IsNullOrEmpty(subject))
        {
            throw new ArgumentException("Subject must not be empty.", parameterName);
        }

        if (subject.AsSpan().IndexOfAny(Forbidden) >= 0)
        {
            throw new ArgumentException($"Subject '{subject}' contains whitespace.", parameterName);
        }

        if (subject[0] == '.' || subject[^1] == '.' || subject.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Subject '{subject}' has an empty token.", parameterName);
        }
    }

    /// <summary>A subscription subject: as for publish, and wildcards only as whole tokens, '&gt;' only last.</summary>
    public static void ValidateSubscribe(string subject, string parameterName)
    {
        ValidatePublish(subject, parameterName);
        var rest = subject.AsSpan();
        while (true)
        {
            var dot = rest.IndexOf('.');
            var token = dot < 0 ? rest : rest[..dot];
            var isLast = dot < 0;
            if (token.Length > 1 && (token.Contains('*') || token.Contains('>')))
            {
                throw new ArgumentException($"Subject '{subject}' uses a wildcard inside a token.", parameterName);
            }

            if (token is ">" && !isLast)
            {
                throw new ArgumentException($"Subject '{subject}' uses '>' before the last token.", parameterName);
            }

            if (isLast)
            {
                return;
            }

            rest = rest[(dot + 1)..];
        }
    }

    /// <summary>A queue group name: a single word without whitespace.</summary>
    public static void ValidateQueueGroup(string? queueGroup, string parameterName)
    {
        if (queueGroup is null)
        {
            return;
        }

        if (queueGroup.Length == 0 || queueGroup.AsSpan().IndexOfAny(Forbidden) >= 0)
        {
            throw new ArgumentException($"Queue group '{queueGroup}' must be non-empty and contain no whitespace.", parameterName);
        }
    }
}

namespace LlmServe.Messaging.Subjects;

/// <summary>NATS subject matching: '*' matches exactly one token, '&gt;' matches one or more trailing tokens.</summary>
internal static class SubjectMatcher
{
    public static bool HasWildcard(string pattern) =>
        pattern.AsSpan().IndexOfAny('*', '>') >= 0;

    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> subject)
    {
        while (true)
        {
            var patternDot = pattern.IndexOf('.');
            var patternToken = patternDot < 0 ? pattern : pattern[..patternDot];
            if (patternToken is ">")
            {
                return subject.Length > 0;
            }

            if (subject.Length == 0)
            {
                return false;
            }

            var subjectDot = subject.IndexOf('.');
            var subjectToken = subjectDot < 0 ? subject : subject[..subjectDot];
            if (patternToken is not "*" && !patternToken.SequenceEqual(subjectToken))
            {
                return false;
            }

            if (patternDot < 0 || subjectDot < 0)
            {
                return patternDot < 0 && subjectDot < 0;
            }

            pattern = pattern[(patternDot + 1)..];
            subject = subject[(subjectDot + 1)..];
        }
    }
}

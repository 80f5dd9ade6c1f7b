namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>One Dockerfile instruction with its continuation lines joined; <see cref="Stage"/> counts FROMs from 0.</summary>
public sealed record DockerfileInstruction(string Keyword, string Arguments, int Stage, int Line);

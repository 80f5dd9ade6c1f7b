using System.Security.Cryptography;

namespace LlmServe.Messaging.Requests;

/// <summary>Random, URL- and subject-safe unique ids (22 base62 characters, about 131 bits).</summary>
internal static class Nuid
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Next() => RandomNumberGenerator.GetString(Alphabet, 22);
}

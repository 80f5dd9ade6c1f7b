using System.Text;
using Google.Protobuf;
using LlmServe.Contracts;

namespace LlmServe.Scheduler.Tests.Contracts;

/// <summary>Trace logs compare fingerprints across processes, so the hash must be the standard FNV-1a 64, not a per-process one.</summary>
public sealed class PayloadFingerprintTests
{
    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Matches_the_published_fnv1a_64_values(string text, ulong expected) =>
        Assert.Equal(expected, PayloadFingerprint.Of(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void One_changed_byte_changes_the_fingerprint()
    {
        var plan = new StepPlan { StepId = 7, DecodeTokenIds = { 1, 2, 3 } }.ToByteArray();
        ulong original = PayloadFingerprint.Of(plan);
        plan[^1] ^= 1;
        Assert.NotEqual(original, PayloadFingerprint.Of(plan));
    }
}

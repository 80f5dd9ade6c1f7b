using Google.Protobuf;
using Google.Protobuf.Reflection;
using LlmServe.Contracts;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>
/// Every protobuf message of the bus contracts, parsed from random bytes and from mutated valid messages: a parse
/// either succeeds (and the result serializes and parses back to itself) or throws what
/// <see cref="MalformedPayload.Is"/> accepts, the errors every service's decoder catches.
/// </summary>
public sealed class ContractDecoderFuzzTests
{
    public static TheoryData<string> MessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in AllMessages())
        {
            data.Add(descriptor.FullName);
        }
        return data;
    }

    private static IEnumerable<MessageDescriptor> AllMessages() =>
        new[] { CommonReflection.Descriptor, RequestsReflection.Descriptor, EngineReflection.Descriptor, StreamingReflection.Descriptor }
            .SelectMany(file => file.MessageTypes)
            .SelectMany(Nested);

    private static IEnumerable<MessageDescriptor> Nested(MessageDescriptor descriptor) =>
        new[] { descriptor }.Concat(descriptor.NestedTypes.Where(n => !n.GetOptions()?.MapEntry ?? true).SelectMany(Nested));

    [Fact]
    public void Every_contract_message_is_covered()
    {
        // The generated files hold every message the services exchange; a new .proto file must be added above.
        Assert.True(AllMessages().Count() >= 30, string.Join(", ", AllMessages().Select(m => m.Name)));
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Random_and_mutated_bytes_parse_or_fail_with_a_protocol_error(string messageType)
    {
        var descriptor = AllMessages().Single(m => m.FullName == messageType);
        var random = new Random(FuzzBudget.Seed + StableHash(messageType));
        var mutator = new ByteMutator(random);
        var sampler = new MessageSampler(random);
        int parsed = 0;
        for (int i = 0; i < FuzzBudget.Cases; i++)
        {
            byte[] bytes = i % 2 == 0 ? mutator.RandomBytes(64) : mutator.Mutate(sampler.Sample(descriptor).ToByteArray());
            IMessage message;
            try
            {
                message = descriptor.Parser.ParseFrom(bytes);
            }
            catch (Exception e) when (MalformedPayload.Is(e))
            {
                // What every service's decoder catches (Google.Protobuf throws more than its own exception type).
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"{messageType} case {i} (seed {FuzzBudget.Seed}) threw {e.GetType().Name}: {e.Message}; bytes {Convert.ToHexString(bytes)}");
                return;
            }
            parsed++;
            var again = descriptor.Parser.ParseFrom(message.ToByteArray());
            Assert.True(message.Equals(again), $"{messageType} case {i} does not survive a round trip");
        }
        Assert.True(parsed > 0 || descriptor.Fields.InDeclarationOrder().Count == 0 || FuzzBudget.Cases < 10, $"{messageType}: nothing parsed");
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
        {
            hash = unchecked(hash * 31 + c);
        }
        return hash;
    }
}

using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>Builds filled-in protobuf messages from their descriptors: the valid seeds that mutations start from.</summary>
public sealed class MessageSampler(Random random)
{
    public IMessage Sample(MessageDescriptor descriptor, int depth = 0)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var message = descriptor.Parser.ParseFrom([]);
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (field.IsMap || (field.ContainingOneof is not null && random.Next(2) == 0))
            {
                continue;
            }
            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                int count = random.Next(0, 4);
                for (int i = 0; i < count; i++)
                {
                    if (Value(field, depth) is { } item)
                    {
                        list.Add(item);
                    }
                }
            }
            else if (Value(field, depth) is { } value)
            {
                field.Accessor.SetValue(message, value);
            }
        }
        return message;
    }

    private object? Value(FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => new string((char)random.Next('a', 'z' + 1), random.Next(0, 12)),
        FieldType.Bytes => ByteString.CopyFrom(new ByteMutator(random).RandomBytes(32)),
        FieldType.Bool => random.Next(2) == 1,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => random.Next(-1000, 100_000),
        FieldType.UInt32 or FieldType.Fixed32 => (uint)random.Next(0, 100_000),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)random.Next(-1000, int.MaxValue),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)random.Next(0, int.MaxValue),
        FieldType.Float => (float)(random.NextDouble() * 4 - 2),
        FieldType.Double => random.NextDouble(),
        FieldType.Enum => field.EnumType.Values[random.Next(field.EnumType.Values.Count)].Number,
        FieldType.Message when depth < 3 => Sample(field.MessageType, depth + 1),
        _ => null,
    };
}

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>Random and mutated byte strings: flips, inserts, deletions, truncations, splices, interesting values.</summary>
public sealed class ByteMutator(Random random)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x12, 0x1A, 0x22, 0x08, 0x10];

    public byte[] RandomBytes(int maxLength)
    {
        var bytes = new byte[random.Next(0, maxLength + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    public byte[] Mutate(byte[] seed)
    {
        var bytes = new List<byte>(seed);
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4 when bytes.Count > 0:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 5 when bytes.Count > 1:
                    int from = random.Next(bytes.Count);
                    int length = random.Next(1, Math.Min(16, bytes.Count - from) + 1);
                    bytes.InsertRange(at, bytes.GetRange(from, length));
                    break;
                default:
                    // A varint that claims a huge length.
                    bytes.InsertRange(at, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
                    break;
            }
        }
        return [.. bytes];
    }
}

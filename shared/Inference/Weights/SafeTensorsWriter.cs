using System.Buffers.Binary;
using System.Text.Json;

namespace LlmServe.Inference.Weights;

/// <summary>Writes a .safetensors file one tensor at a time (peak memory: the largest tensor).</summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IReadOnlyList<WritableTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.ByteLength;
            }

            json.WriteEndObject();
        }

        // The data section starts 8-byte aligned, padded with spaces as the reference writer does.
        while ((header.Length + 8) % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        header.Position = 0;
        header.CopyTo(file);
        foreach (var t in tensors)
        {
            var values = new float[t.ElementCount];
            t.Fill(values);
            var bytes = new byte[t.ByteLength];
            DTypeConversion.Narrow(t.DType, values, bytes);
            file.Write(bytes);
        }
    }
}

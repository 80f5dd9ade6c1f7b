using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using LlmServe.Inference.Models;

namespace LlmServe.Inference.Weights;

/// <summary>
/// One memory-mapped .safetensors file: an 8-byte little-endian header length, a JSON header
/// (name → dtype, shape, data_offsets), then the tensor bytes. Tensors are views into the mapping; nothing
/// is copied until a backend uploads it.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorView> _tensors = new(StringComparer.Ordinal);

    private SafeTensorsFile(string path)
    {
        Path = path;
        long length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new ModelLoadException($"{path}: too short for a safetensors file ({length} bytes)");
        }

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        try
        {
            ParseHeader(length);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, TensorView> Tensors => _tensors;

    /// <summary>Maps and indexes <paramref name="path"/>; throws <see cref="ModelLoadException"/> on a malformed header.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"safetensors file not found: {path}");
        }

        return new SafeTensorsFile(path);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private void ParseHeader(long fileLength)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(_base, 8));
        if (headerLength > (ulong)(fileLength - 8) || headerLength > int.MaxValue)
        {
            throw new ModelLoadException($"{Path}: header length {headerLength} exceeds the file");
        }

        long dataStart = 8 + (long)headerLength;
        using var json = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(_base + 8, (int)headerLength).ToArray()));
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            var dtypeName = entry.Value.GetProperty("dtype").GetString();
            var dtype = dtypeName switch
            {
                "F32" => TensorDType.F32,
                "BF16" => TensorDType.BF16,
                "F16" => TensorDType.F16,
                _ => throw new ModelLoadException($"{Path}: tensor '{entry.Name}' has unsupported dtype '{dtypeName}' (supported: F32, BF16, F16)"),
            };
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets");
            long begin = offsets[0].GetInt64();
            long end = offsets[1].GetInt64();
            long elements = shape.Aggregate(1L, (a, d) => a * d);
            if (begin < 0 || end < begin || dataStart + end > fileLength || end - begin != elements * DTypeConversion.SizeOf(dtype))
            {
                throw new ModelLoadException($"{Path}: tensor '{entry.Name}' has bad data offsets [{begin}, {end}) for {dtype}[{string.Join(',', shape)}]");
            }

            _tensors[entry.Name] = new TensorView(entry.Name, dtype, shape, _base + dataStart + begin, end - begin);
        }
    }
}

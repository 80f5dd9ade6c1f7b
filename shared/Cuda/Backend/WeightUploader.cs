using System.Runtime.InteropServices;
using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Weights;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// Moves checkpoint tensors (mmapped, never copied into managed arrays) to the GPU as bf16 through a pinned staging
/// buffer split in two halves: the host fills one half while the GPU copies the other. bf16 bytes go as they are;
/// fp16 is converted on the GPU; fp32 is narrowed to bf16 on the host while staging.
/// </summary>
internal sealed class WeightUploader : IDisposable
{
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly KernelLibrary _kernels;
    private readonly PinnedHostBuffer _staging;
    private readonly CudaEvent[] _halfFree;
    private readonly long _half;
    private int _next;

    public WeightUploader(CudaContext context, CudaStream stream, KernelLibrary kernels, long stagingBytes)
    {
        _context = context;
        _stream = stream;
        _kernels = kernels;
        _half = stagingBytes / 2 / 16 * 16;
        _staging = PinnedHostBuffer.Allocate(context, _half * 2);
        _halfFree = [CudaEvent.Create(context, timing: false), CudaEvent.Create(context, timing: false)];
    }

    /// <summary>Total bytes uploaded so far (for the load log).</summary>
    public long UploadedBytes { get; private set; }

    public CudaTensor Upload(IReadOnlyList<TensorView> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("a weight needs at least one part", nameof(parts));
        }

        bool vector = parts[0].Shape.Count == 1;
        int cols = vector ? 0 : parts[0].Cols;
        long rows = vector ? 1 : 0;
        foreach (var part in parts)
        {
            if ((part.Shape.Count == 1) != vector || (!vector && part.Cols != cols))
            {
                throw new ArgumentException($"cannot concatenate {part} with {parts[0]}", nameof(parts));
            }

            if (vector)
            {
                cols += part.Rows;
            }
            else
            {
                rows += part.Rows;
            }
        }

        _context.MakeCurrent();
        long elements = rows * cols;
        var tensor = new CudaTensor(DeviceBuffer.Allocate(_context, Math.Max(2, elements * 2)), checked((int)rows), cols, CudaDType.Bf16)
        {
            ProjectsToVocabulary = parts.Count == 1 && parts[0].Name is "lm_head.weight" or "model.embed_tokens.weight",
        };
        try
        {
            long offset = 0;
            foreach (var part in parts)
            {
                Copy(part, tensor.Pointer + (ulong)(offset * 2));
                offset += part.ElementCount;
            }

            _stream.Synchronize();
            UploadedBytes += elements * 2;
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private void Copy(TensorView part, ulong destination)
    {
        int size = DTypeConversion.SizeOf(part.DType);
        long elements = part.ElementCount;
        long chunkElements = _half / 4; // room for fp32 input narrowed in place
        for (long done = 0; done < elements; done += chunkElements)
        {
            long n = Math.Min(chunkElements, elements - done);
            int half = _next;
            _next ^= 1;
            _halfFree[half].Synchronize();
            long stagingOffset = half * _half;
            var staged = _staging.AsSpan<byte>().Slice((int)stagingOffset, (int)_half);
            var source = part.Bytes.Slice((int)(done * size), (int)(n * size));
            switch (part.DType)
            {
                case TensorDType.BF16:
                    source.CopyTo(staged);
                    _stream.CopyToDevice(_staging, stagingOffset, destination + (ulong)(done * 2), n * 2);
                    break;
                case TensorDType.F32:
                    {
                        var floats = MemoryMarshal.Cast<byte, float>(source);
                        var bits = MemoryMarshal.Cast<byte, ushort>(staged);
                        for (int i = 0; i < floats.Length; i++)
                        {
                            bits[i] = DTypeConversion.ToBFloat16(floats[i]);
                        }

                        _stream.CopyToDevice(_staging, stagingOffset, destination + (ulong)(done * 2), n * 2);
                        break;
                    }

                case TensorDType.F16:
                    {
                        // fp16 and bf16 have the same size: copy the fp16 bits to their final place, convert there.
                        source.CopyTo(staged);
                        ulong target = destination + (ulong)(done * 2);
                        _stream.CopyToDevice(_staging, stagingOffset, target, n * 2);
                        _kernels.F16ToBf16(_stream, target, target, n);
                        break;
                    }

                default:
                    throw new NotSupportedException($"dtype {part.DType}");
            }

            _halfFree[half].Record(_stream);
        }
    }

    public void Dispose()
    {
        _staging.Dispose();
        foreach (var e in _halfFree)
        {
            e.Dispose();
        }
    }
}

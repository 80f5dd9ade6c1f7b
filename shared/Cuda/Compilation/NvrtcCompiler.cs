using System.Text;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Compilation;

/// <summary>Compiles CUDA C to CUBIN with NVRTC; a compile error becomes a <see cref="CudaException"/> carrying the log.</summary>
public sealed unsafe class NvrtcCompiler
{
    private NvrtcCompiler(string version) => Version = version;

    /// <summary>"13.0" etc.; part of the cache key.</summary>
    public string Version { get; }

    public static NvrtcCompiler Load(CudaLibraryOptions libraries)
    {
        var lib = new NativeLibraryResolver(libraries).Load(CudaLibrary.Nvrtc);
        NvrtcApi.Bind(lib);
        int major, minor;
        NvrtcApi.Check(NvrtcApi.nvrtcVersion(&major, &minor));
        return new NvrtcCompiler($"{major}.{minor}");
    }

    /// <summary>The options every kernel module is compiled with for <paramref name="arch"/> (e.g. "sm_90").</summary>
    public static IReadOnlyList<string> DefaultOptions(string arch) =>
        [$"--gpu-architecture={arch}", "--std=c++17", "-default-device", "--use_fast_math", "-DNDEBUG"];

    public byte[] Compile(string source, string name, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var nm = Encoding.UTF8.GetBytes(name + "\0");
        nint program;
        fixed (byte* s = src, n = nm)
        {
            NvrtcApi.Check(NvrtcApi.nvrtcCreateProgram(&program, s, n, 0, null, null));
        }

        try
        {
            var optionBytes = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
            var handles = optionBytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                var pointers = stackalloc byte*[optionBytes.Length];
                for (var i = 0; i < handles.Length; i++)
                {
                    pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                }

                result = NvrtcApi.nvrtcCompileProgram(program, optionBytes.Length, pointers);
            }
            finally
            {
                foreach (var h in handles)
                {
                    h.Free();
                }
            }

            if (result != NvrtcApi.Success)
            {
                throw new CudaException(
                    $"{CudaException.Format("nvrtc", $"nvrtcCompileProgram({name})", result, NvrtcApi.Describe(result))}\n{Log(program)}");
            }

            nuint size;
            NvrtcApi.Check(NvrtcApi.nvrtcGetCUBINSize(program, &size));
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin)
            {
                NvrtcApi.Check(NvrtcApi.nvrtcGetCUBIN(program, c));
            }

            return cubin;
        }
        finally
        {
            _ = NvrtcApi.nvrtcDestroyProgram(&program);
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (NvrtcApi.nvrtcGetProgramLogSize(program, &size) != NvrtcApi.Success || size <= 1)
        {
            return "";
        }

        var log = new byte[(int)size];
        fixed (byte* l = log)
        {
            _ = NvrtcApi.nvrtcGetProgramLog(program, l);
        }

        return Encoding.UTF8.GetString(log).TrimEnd('\0');
    }
}

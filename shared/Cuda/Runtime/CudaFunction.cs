using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Runtime;

/// <summary>A kernel inside a loaded module (valid while the module lives).</summary>
public readonly unsafe struct CudaFunction
{
    private readonly nint _handle;

    internal CudaFunction(nint handle, string name, bool programmatic = false)
    {
        _handle = handle;
        Name = name;
        Programmatic = programmatic;
    }

    public string Name { get; }

    /// <summary>
    /// Launched with programmatic stream serialization: the kernel may start while the previous kernel in the stream
    /// runs, and waits for it itself (griddepcontrol.wait). Only for kernels written that way.
    /// </summary>
    public bool Programmatic { get; }

    /// <summary>Registers per thread, static shared bytes and local (spill) bytes per thread, as compiled.</summary>
    public (int Registers, int StaticSharedBytes, int LocalBytes) Resources()
    {
        int regs, smem, local;
        CuDriver.Check(CuDriver.cuFuncGetAttribute(&regs, CuDriver.FuncAttrNumRegs, _handle));
        CuDriver.Check(CuDriver.cuFuncGetAttribute(&smem, CuDriver.FuncAttrSharedSizeBytes, _handle));
        CuDriver.Check(CuDriver.cuFuncGetAttribute(&local, CuDriver.FuncAttrLocalSizeBytes, _handle));
        return (regs, smem, local);
    }

    /// <summary>How many CTAs of <paramref name="threads"/> threads fit on one SM at once.</summary>
    public int MaxActiveBlocksPerMultiprocessor(int threads, int dynamicSharedBytes)
    {
        int blocks;
        CuDriver.Check(CuDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, _handle, threads, (nuint)dynamicSharedBytes));
        return blocks;
    }

    /// <summary>This kernel, launched programmatically when <paramref name="programmatic"/> is true.</summary>
    public CudaFunction WithProgrammaticLaunch(bool programmatic) => new(_handle, Name, programmatic);

    /// <summary>Allows more than 48 KB of dynamic shared memory for this kernel.</summary>
    public void SetMaxDynamicSharedMemory(int bytes) =>
        CuDriver.Check(CuDriver.cuFuncSetAttribute(_handle, CuDriver.FuncAttrMaxDynamicSharedSizeBytes, bytes));

    /// <summary>
    /// Launches with <paramref name="args"/> = addresses of each argument value, in the kernel's order.
    /// The caller keeps the values alive on its stack for the duration of this call only (the driver copies them).
    /// </summary>
    internal void Launch(CudaStream stream, (uint X, uint Y, uint Z) grid, uint block, uint sharedBytes, void** args)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0)
        {
            return;
        }

        int result;
        if (Programmatic)
        {
            CuDriver.LaunchAttribute attribute = default;
            attribute.Id = CuDriver.LaunchAttributeProgrammaticStreamSerialization;
            attribute.Value = 1;
            var config = new CuDriver.LaunchConfig
            {
                GridDimX = grid.X, GridDimY = grid.Y, GridDimZ = grid.Z, BlockDimX = block, BlockDimY = 1, BlockDimZ = 1,
                SharedMemBytes = sharedBytes, Stream = stream.Handle, Attributes = &attribute, AttributeCount = 1,
            };
            result = CuDriver.cuLaunchKernelEx(&config, _handle, args, null);
        }
        else
        {
            result = CuDriver.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block, 1, 1, sharedBytes, stream.Handle, args, null);
        }

        if (result != CuDriver.Success)
        {
            throw new CudaException("cuda", $"{(Programmatic ? "cuLaunchKernelEx" : "cuLaunchKernel")}({Name}, grid=({grid.X},{grid.Y},{grid.Z}), block={block}, smem={sharedBytes})", result, CuDriver.Describe(result));
        }
    }
}

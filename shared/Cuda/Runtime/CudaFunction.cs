using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Runtime;

/// <summary>A kernel inside a loaded module (valid while the module lives).</summary>
public readonly unsafe struct CudaFunction
{
    private readonly nint _handle;

    internal CudaFunction(nint handle, string name)
    {
        _handle = handle;
        Name = name;
    }

    public string Name { get; }

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

        var result = CuDriver.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block, 1, 1, sharedBytes, stream.Handle, args, null);
        if (result != CuDriver.Success)
        {
            throw new CudaException("cuda", $"cuLaunchKernel({Name}, grid=({grid.X},{grid.Y},{grid.Z}), block={block}, smem={sharedBytes})", result, CuDriver.Describe(result));
        }
    }
}

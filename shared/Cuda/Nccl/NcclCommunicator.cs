using LlmServe.Cuda.Native;
using LlmServe.Cuda.Runtime;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Nccl;

/// <summary>
/// One rank's NCCL communicator (ncclComm_t). Rank 0 makes the <see cref="NcclUniqueId"/> and sends its 128 bytes
/// to the others (over the bus); every rank then calls <see cref="InitRank"/> with it. Transfers are enqueued on a
/// <see cref="CudaStream"/> like kernels. Element type here is bf16 (hidden states between pipeline stages).
/// </summary>
public sealed unsafe class NcclCommunicator : SafeHandleZeroOrMinusOneIsInvalid
{
    private NcclCommunicator(nint comm, int rank, int ranks)
        : base(ownsHandle: true)
    {
        SetHandle(comm);
        Rank = rank;
        Ranks = ranks;
    }

    public int Rank { get; }

    public int Ranks { get; }

    private static void EnsureBound(CudaLibraryOptions libraries)
    {
        if (!NcclApi.IsBound)
        {
            NcclApi.Bind(new NativeLibraryResolver(libraries).Load(CudaLibrary.Nccl));
        }
    }

    /// <summary>NCCL's version as major*10000 + minor*100 + patch (e.g. 22800).</summary>
    public static int Version(CudaLibraryOptions libraries)
    {
        EnsureBound(libraries);
        int v;
        NcclApi.Check(NcclApi.ncclGetVersion(&v));
        return v;
    }

    /// <summary>Rank 0 calls this once and distributes the id.</summary>
    public static NcclUniqueId CreateUniqueId(CudaLibraryOptions libraries)
    {
        EnsureBound(libraries);
        NcclUniqueId id;
        NcclApi.Check(NcclApi.ncclGetUniqueId(&id));
        return id;
    }

    /// <summary>Joins the communicator of <paramref name="ranks"/> ranks; blocks until all ranks have joined.</summary>
    public static NcclCommunicator InitRank(CudaContext context, CudaLibraryOptions libraries, NcclUniqueId id, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, ranks);
        EnsureBound(libraries);
        context.MakeCurrent();
        nint comm;
        NcclApi.Check(NcclApi.ncclCommInitRank(&comm, ranks, id, rank));
        return new NcclCommunicator(comm, rank, ranks);
    }

    public void SendBf16(ulong buffer, long count, int peer, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        NcclApi.Check(NcclApi.ncclSend(buffer, (nuint)count, NcclApi.DataTypeBfloat16, peer, handle, stream.Handle));
    }

    public void ReceiveBf16(ulong buffer, long count, int peer, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        NcclApi.Check(NcclApi.ncclRecv(buffer, (nuint)count, NcclApi.DataTypeBfloat16, peer, handle, stream.Handle));
    }

    /// <summary>Sum over all ranks (tensor parallelism's row-parallel output); in place when the buffers are equal.</summary>
    public void AllReduceSumBf16(ulong send, ulong receive, long count, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        NcclApi.Check(NcclApi.ncclAllReduce(send, receive, (nuint)count, NcclApi.DataTypeBfloat16, NcclApi.OpSum, handle, stream.Handle));
    }

    /// <summary>Groups the sends and receives issued inside <paramref name="operations"/> into one NCCL launch.</summary>
    public static void Group(Action operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        NcclApi.Check(NcclApi.ncclGroupStart());
        try
        {
            operations();
        }
        finally
        {
            NcclApi.Check(NcclApi.ncclGroupEnd());
        }
    }

    protected override bool ReleaseHandle() => NcclApi.ncclCommDestroy(handle) == NcclApi.Success;
}

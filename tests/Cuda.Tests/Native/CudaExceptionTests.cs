using LlmServe.Cuda;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Tests.Native;

public class CudaExceptionTests
{
    [Fact]
    public void The_message_names_library_call_status_and_text()
    {
        var e = new CudaException("cuda", "cuMemAlloc(&p, n)", 2, "CUDA_ERROR_OUT_OF_MEMORY (out of memory)");

        Assert.Equal("cuda: cuMemAlloc(&p, n) failed with status 2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.Message);
        Assert.Equal("cuda", e.Library);
        Assert.Equal(2, e.Status);
    }

    [Fact]
    public void A_call_written_over_several_lines_is_logged_on_one()
    {
        var text = CudaException.Format("nccl", "ncclSend(\n    buffer,\n    count)", 3, "internal error");

        Assert.Equal("nccl: ncclSend( buffer, count) failed with status 3: internal error", text);
    }

    [Fact]
    public void Checks_name_the_failing_call_expression()
    {
        // The status libraries are not loaded here, so the text falls back to the number: the call name is what matters.
        var e = Assert.Throws<CudaException>(() => NvrtcApi.Check(Fail(6)));

        Assert.Equal("Fail(6)", e.Call);
        Assert.StartsWith("nvrtc: Fail(6) failed with status 6", e.Message, StringComparison.Ordinal);
        Assert.Equal(6, e.Status);
        Assert.Equal("nvrtc", e.Library);
    }

    [Fact]
    public void Success_passes_every_checker()
    {
        CuDriver.Check(0);
        CublasLtApi.Check(0);
        NvrtcApi.Check(0);
        NcclApi.Check(0);
    }

    [Fact]
    public void Every_library_reports_its_own_name()
    {
        Assert.Equal("cuda", Assert.Throws<CudaException>(() => CuDriver.Check(Fail(1))).Library);
        Assert.Equal("cublasLt", Assert.Throws<CudaException>(() => CublasLtApi.Check(Fail(7))).Library);
        Assert.Equal("nccl", Assert.Throws<CudaException>(() => NcclApi.Check(Fail(5))).Library);
    }

    private static int Fail(int status) => status;
}

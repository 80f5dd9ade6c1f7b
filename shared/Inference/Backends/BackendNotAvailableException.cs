namespace LlmServe.Inference.Backends;

/// <summary>The requested device has no backend in this process (e.g. "cuda" before the CUDA backend is registered).</summary>
public sealed class BackendNotAvailableException : Exception
{
    public BackendNotAvailableException()
    {
    }

    public BackendNotAvailableException(string message)
        : base(message)
    {
    }

    public BackendNotAvailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

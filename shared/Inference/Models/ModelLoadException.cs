namespace LlmServe.Inference.Models;

/// <summary>A model directory cannot be loaded: missing file or tensor, wrong shape, unknown dtype, unsupported architecture.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace LlmServe.Inference.Backends;

/// <summary>A step's metadata is inconsistent (lengths, block ids or slots out of range).</summary>
public sealed class InvalidStepBatchException : Exception
{
    public InvalidStepBatchException()
    {
    }

    public InvalidStepBatchException(string message)
        : base("Invalid step batch: " + message)
    {
    }

    public InvalidStepBatchException(string message, Exception innerException)
        : base("Invalid step batch: " + message, innerException)
    {
    }
}

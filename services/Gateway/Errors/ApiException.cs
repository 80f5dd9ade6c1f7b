namespace LlmServe.Gateway.Errors;

/// <summary>Thrown anywhere in request handling to answer with <see cref="Error"/>; the error middleware writes it.</summary>
public sealed class ApiException : Exception
{
    public ApiException(ApiError error)
        : base(error?.Message)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    public ApiException()
        : this(ErrorCatalog.Internal("Unexpected error."))
    {
    }

    public ApiException(string message)
        : this(ErrorCatalog.InvalidRequest(message))
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = ErrorCatalog.InvalidRequest(message);
    }

    public ApiError Error { get; }
}

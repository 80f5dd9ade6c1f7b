using LlmServe.Contracts;
using Microsoft.AspNetCore.Http;

namespace LlmServe.Gateway.Errors;

/// <summary>
/// The one place that decides which HTTP status and OpenAI error type each failure gets: bus
/// <see cref="ErrorCode"/>s from the pipeline and the gateway's own HTTP-level failures.
/// </summary>
public static class ErrorCatalog
{
    public const string InvalidRequestType = "invalid_request_error";
    public const string AuthenticationType = "authentication_error";
    public const string NotFoundType = "not_found_error";
    public const string RateLimitType = "rate_limit_error";
    public const string ServerType = "server_error";
    public const string UnavailableType = "service_unavailable_error";
    public const string TimeoutType = "timeout_error";

    /// <summary>Maps an error that travelled on the bus to what the client sees.</summary>
    public static ApiError FromBus(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        string? param = string.IsNullOrEmpty(error.Param) ? null : error.Param;
        string message = string.IsNullOrEmpty(error.Message) ? DefaultMessage(error.Code) : error.Message;
        return FromCode(error.Code, message, param);
    }

    public static ApiError FromCode(ErrorCode code, string message, string? param = null) => code switch
    {
        ErrorCode.InvalidRequest => new(StatusCodes.Status400BadRequest, InvalidRequestType, "invalid_request", message, param),
        ErrorCode.ContextLengthExceeded => new(StatusCodes.Status400BadRequest, InvalidRequestType, "context_length_exceeded", message, param),
        ErrorCode.TemplateError => new(StatusCodes.Status400BadRequest, InvalidRequestType, "template_error", message, param),
        ErrorCode.TooLarge => new(StatusCodes.Status400BadRequest, InvalidRequestType, "request_too_large", message, param),
        ErrorCode.ModelNotFound => new(StatusCodes.Status404NotFound, NotFoundType, "model_not_found", message, param ?? "model"),
        ErrorCode.Unauthorized => new(StatusCodes.Status401Unauthorized, AuthenticationType, "invalid_api_key", message, param),
        ErrorCode.Overloaded => new(StatusCodes.Status429TooManyRequests, RateLimitType, "overloaded", message, param, RetryAfterSeconds: 1),
        ErrorCode.NoWorkers => new(StatusCodes.Status503ServiceUnavailable, UnavailableType, "no_workers", message, param, RetryAfterSeconds: 5),
        ErrorCode.WorkerFailed => new(StatusCodes.Status503ServiceUnavailable, UnavailableType, "worker_failed", message, param, RetryAfterSeconds: 1),
        ErrorCode.Timeout => new(StatusCodes.Status504GatewayTimeout, TimeoutType, "timeout", message, param),
        ErrorCode.Cancelled => new(StatusCodes.Status499ClientClosedRequest, InvalidRequestType, "cancelled", message, param),
        _ => new(StatusCodes.Status500InternalServerError, ServerType, "internal_error", message, param),
    };

    public static ApiError InvalidRequest(string message, string? param = null) =>
        FromCode(ErrorCode.InvalidRequest, message, param);

    public static ApiError ModelNotFound(string model) =>
        FromCode(ErrorCode.ModelNotFound, $"The model `{model}` does not exist.", "model");

    public static ApiError MissingApiKey() =>
        FromCode(ErrorCode.Unauthorized, "Missing API key: send it as 'Authorization: Bearer <key>'.");

    public static ApiError InvalidApiKey() =>
        FromCode(ErrorCode.Unauthorized, "Incorrect API key provided.");

    public static ApiError RateLimited(int retryAfterSeconds) =>
        new(StatusCodes.Status429TooManyRequests, RateLimitType, "rate_limit_exceeded",
            "Rate limit reached for this API key; retry later.", null, retryAfterSeconds);

    public static ApiError TooManyInFlight() =>
        FromCode(ErrorCode.Overloaded, "The server has too many requests in flight; retry later.");

    public static ApiError NoResponders(string what) =>
        FromCode(ErrorCode.NoWorkers, $"No {what} is serving this model right now.");

    public static ApiError Timeout(string message) => FromCode(ErrorCode.Timeout, message);

    public static ApiError Internal(string message) => FromCode(ErrorCode.Internal, message);

    public static ApiError BodyTooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, InvalidRequestType, "request_body_too_large",
            $"The request body exceeds the limit of {limit} bytes.");

    public static ApiError UnsupportedMediaType(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, InvalidRequestType, "unsupported_media_type",
            $"Content-Type '{contentType}' is not supported; send application/json.");

    /// <summary>For a bare status produced by routing or Kestrel (404 no route, 405 wrong method...).</summary>
    public static ApiError FromStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => new(status, NotFoundType, "not_found", "The requested URL was not found."),
        StatusCodes.Status405MethodNotAllowed => new(status, InvalidRequestType, "method_not_allowed", "The HTTP method is not allowed for this URL."),
        StatusCodes.Status413PayloadTooLarge => new(status, InvalidRequestType, "request_body_too_large", "The request body is too large."),
        StatusCodes.Status415UnsupportedMediaType => new(status, InvalidRequestType, "unsupported_media_type", "Send application/json."),
        StatusCodes.Status429TooManyRequests => RateLimited(1),
        >= 400 and < 500 => new(status, InvalidRequestType, "bad_request", "The request could not be processed."),
        _ => new(status, ServerType, "internal_error", "The server failed to process the request."),
    };

    private static string DefaultMessage(ErrorCode code) => code switch
    {
        ErrorCode.NoWorkers => "No workers are serving this model.",
        ErrorCode.Overloaded => "The model is overloaded; retry later.",
        ErrorCode.Timeout => "The request timed out.",
        _ => code.ToString(),
    };
}

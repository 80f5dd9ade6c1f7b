namespace LlmServe.Gateway.Errors;

/// <summary>
/// One error as the client sees it: an HTTP status plus OpenAI's <c>{"error":{message,type,param,code}}</c> body.
/// </summary>
/// <param name="RetryAfterSeconds">Sent as the <c>Retry-After</c> header when set (429/503).</param>
public sealed record ApiError(int Status, string Type, string Code, string Message, string? Param = null, int? RetryAfterSeconds = null);

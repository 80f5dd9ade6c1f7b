namespace LlmServe.Cuda.Backend;

/// <summary>
/// What a captured decode graph is specialised for: padded batch size, decode split count and the KV cache it
/// addresses (a new model brings a new cache, so it captures its own graphs).
/// </summary>
internal readonly record struct GraphKey(int Bucket, int Splits, long Cache);

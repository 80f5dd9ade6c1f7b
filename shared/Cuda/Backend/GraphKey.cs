namespace LlmServe.Cuda.Backend;

/// <summary>What a captured decode graph is specialised for: padded batch size and decode split count.</summary>
internal readonly record struct GraphKey(int Bucket, int Splits);

namespace LlmServe.Cuda.Kernels;

/// <summary>
/// Device addresses and sizes of one persistent decode launch, in decode_layers.cu's parameter order. The step arrays
/// (positions, slots, block tables, context lengths) are read for sequence 0 only: the kernel decodes one token.
/// </summary>
public readonly record struct PersistentDecodeArgs(
    ulong Layers,
    int NumLayers,
    bool ResidualHoldsInput,
    ulong Hidden,
    ulong Residual,
    ulong Qkv,
    ulong Attention,
    ulong Activated,
    ulong PartialAcc,
    ulong PartialMl,
    ulong Sync,
    ulong Positions,
    ulong Slots,
    ulong BlockTables,
    ulong ContextLengths,
    ulong CosSin,
    int HiddenSize,
    int IntermediateSize,
    int Heads,
    int KvHeads,
    int BlockSize,
    float Epsilon,
    float Scale);

namespace LlmServe.Cuda.Backend;

/// <summary>The backend's ops, as a graph step's signature and the bench's op timer name them.</summary>
internal enum BackendOp
{
    Embedding = 1,
    Linear = 2,
    RmsNorm = 3,
    AddRmsNorm = 4,
    HeadRmsNorm = 5,
    RopeAndWriteKv = 6,
    Attention = 7,
    SiluAndMul = 8,
    GatherLogitRows = 9,
    LinearSiluAndMul = 10,
    PersistentDecodeLayers = 11,
}

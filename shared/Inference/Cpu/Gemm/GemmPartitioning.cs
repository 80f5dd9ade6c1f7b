namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>How a multithreaded GEMM call cuts C into parts.</summary>
internal enum GemmPartitioning
{
    /// <summary>Column ranges of the unpacked small-M (decode) path.</summary>
    SmallMColumns,

    /// <summary>Column ranges of the blocked path: each part packs only its own slice of B.</summary>
    Columns,

    /// <summary>Row ranges of the blocked path, when N has too few panels to share out.</summary>
    Rows,
}

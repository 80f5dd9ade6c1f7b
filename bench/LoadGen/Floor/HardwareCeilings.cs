namespace LlmServe.LoadGen.Floor;

/// <summary>The two rates the floor divides by: dense bf16 GEMM throughput and device memory copy bandwidth.</summary>
/// <param name="GemmTflops">TFLOP/s a large GEMM reaches (H100 measured here: ~791, bench/cuda/RESULTS.md).</param>
/// <param name="BandwidthGBs">GB/s (10^9 bytes) of device memory traffic (H100 measured here: ~3030).</param>
public sealed record HardwareCeilings(double GemmTflops, double BandwidthGBs);

using LlmServe.LoadGen.Floor;

namespace LlmServe.LoadGen.Tests.Floor;

public sealed class WorkloadFloorTests
{
    // 1 layer, hidden 2, intermediate 3, 1 head of dim 2, vocab 5, 2 bytes per parameter: small enough to count by hand.
    private static readonly ModelShape Tiny = new(1, 2, 3, 1, 1, 2, 5, 2);
    private static readonly HardwareCeilings OneAndOne = new(GemmTflops: 1, BandwidthGBs: 1);

    [Fact]
    public void Shape_sizes_are_counted_from_the_dimensions()
    {
        Assert.Equal(34, Tiny.LayerMatmulParameters); // q,o: 2·2 each; k,v: 2·2 each; gate,up,down: 3·2·3
        Assert.Equal(10, Tiny.LmHeadParameters);
        Assert.Equal(8, Tiny.KvBytesPerToken);       // K and V, 1 layer, 1 head, dim 2, 2 bytes

        var llama = ModelShape.Llama31_8B;
        Assert.Equal(6_979_321_856, llama.LayerMatmulParameters);
        Assert.Equal(131_072, llama.KvBytesPerToken);
    }

    [Fact]
    public void One_request_is_counted_by_hand()
    {
        var floor = WorkloadFloor.Compute([(10, 3)], 1, Tiny, OneAndOne);

        // 2·34·10 matmul + 4·1·1·2·(10·11/2) attention + 2·10 LM-head row.
        Assert.Equal(1140, floor.PrefillFlops);
        Assert.Equal(1140, floor.PrefillSeconds * 1e12, 6);
        // Two decode steps reading 88 weight bytes each, and the KV of contexts 11 and 12.
        Assert.Equal(2, floor.DecodeSteps);
        Assert.Equal((2 * 88) + (23 * 8), floor.DecodeBytes);
        Assert.Equal(360e-9, floor.DecodeSeconds, 15);
        Assert.Equal(floor.DecodeSeconds, floor.DurationSeconds);
        Assert.Equal(floor.PrefillSeconds + floor.DecodeSeconds, floor.SerialDurationSeconds, 15);
        Assert.Equal(3 / floor.DurationSeconds, floor.OutputThroughput, 3);
        Assert.Equal(1140e-9, floor.MeanTtftMs, 15);
        Assert.Equal((88 + (11.5 * 8)) / 1e9 * 1000, floor.MeanTpotMs, 12);
    }

    [Theory]
    [InlineData(4, 250)]   // ⌈10·100 / 4⌉ steps: the batch is the limit
    [InlineData(100, 100)] // every request runs together: the longest decode is the limit
    [InlineData(1, 1000)]  // one at a time
    public void Decode_steps_are_those_of_a_perfect_batcher_at_the_concurrency(int concurrency, long steps)
    {
        var requests = Enumerable.Repeat((10, 101), 10).ToList();
        Assert.Equal(steps, WorkloadFloor.Compute(requests, concurrency, Tiny, OneAndOne).DecodeSteps);
    }

    [Fact]
    public void A_slow_arrival_schedule_bounds_the_duration_from_below()
    {
        var floor = WorkloadFloor.Compute([(10, 3), (10, 3)], 2, Tiny, OneAndOne, lastArrivalSeconds: 5);
        Assert.Equal(5, floor.DurationSeconds);
        Assert.Equal(5, floor.SerialDurationSeconds);
    }

    [Fact]
    public void The_parameter_override_replaces_the_matmul_count()
    {
        var floor = WorkloadFloor.Compute([(10, 1)], 1, Tiny, OneAndOne, parametersOverride: 100);
        Assert.Equal((2 * 100 * 10) + 440 + 20, floor.PrefillFlops);
        Assert.Equal((100 + 10) * 2, floor.WeightBytesPerStep);
        Assert.Equal(0, floor.DecodeSteps);
    }

    [Fact]
    public void Llama_8B_floors_agree_with_the_cuda_bench_hand_numbers()
    {
        // bench/cuda/RESULTS.md: 15.0 GB per decode step; 1 stream at context 512 is 4.98 ms at 3.03 TB/s;
        // prefill of 2048 tokens is 36.1 ms of matmuls at 791 TFLOP/s (attention adds to that here).
        var ceilings = new HardwareCeilings(791, 3030);
        var decode = WorkloadFloor.Compute([(512, 2)], 1, ModelShape.Llama31_8B, ceilings);
        Assert.Equal(15_009_316_864, decode.WeightBytesPerStep);
        Assert.InRange(decode.DecodeSeconds * 1000, 4.97, 4.99);

        var prefill = WorkloadFloor.Compute([(2048, 1)], 1, ModelShape.Llama31_8B, ceilings);
        Assert.InRange(prefill.PrefillSeconds * 1000, 36.1, 38.0);
    }

    [Fact]
    public void The_shape_is_read_from_config_json()
    {
        string dir = Path.Combine(Path.GetTempPath(), "loadgen-shape-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """
                {"architectures":["LlamaForCausalLM"],"hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,
                 "num_attention_heads":32,"num_key_value_heads":8,"vocab_size":128256,"torch_dtype":"bfloat16","rope_theta":500000.0}
                """);
            Assert.Equal(ModelShape.Llama31_8B, ModelShape.FromConfig(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

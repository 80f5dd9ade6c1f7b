using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.KvCache;

/// <summary>
/// The CPU attention builds its per-step work lists into arrays it keeps and grows: a step with more decode-like rows
/// than any before must still give every row its own attention. (The lists once lost their first entries when they
/// grew mid-step, so rows of the first step larger than all before were computed from stale data.)
/// </summary>
public sealed class AttentionWorkListTests
{
    private const int BlockSize = 16;

    [Theory]
    [InlineData(5)]
    [InlineData(40)]
    [InlineData(64)]
    public void A_first_step_of_many_short_rows_gives_each_row_its_alone_logits(int sequences)
    {
        using var tmp = new TempModel(new TinyModelSpec { Seed = 11, VocabSize = 448, HiddenSize = 128, IntermediateSize = 256, MaxPositionEmbeddings = 1024 });
        var prompts = Enumerable.Range(0, sequences).Select(i => new[] { (i * 37) % 256, (i * 11) % 256 }).ToArray();

        var batched = Forward(tmp.Directory, prompts);

        for (int i = 0; i < sequences; i++)
        {
            var alone = Forward(tmp.Directory, [prompts[i]]);
            LogitAssert.Close(alone[0], batched[i], 1e-4, $"sequence {i} of {sequences}");
        }
    }

    // One step on a fresh model: every prompt (2 tokens, so every row is a short query) whole, each in its own block.
    private static float[][] Forward(string directory, int[][] prompts)
    {
        using var model = LlamaModel.Load(directory, new CpuBackend(new BackendOptions { Threads = 1 }),
            new ModelLoadOptions { MaxBatchTokens = 512, MaxSeqs = 64 });
        using var cache = model.AllocateKvCache(prompts.Length, BlockSize);
        var builder = new StepBatchBuilder(512, 64, model.MaxModelLength / BlockSize, BlockSize);
        for (int i = 0; i < prompts.Length; i++)
        {
            builder.AddSequence(prompts[i], 0, [i], wantLogits: true);
        }
        model.Forward(builder.Build(), cache);
        var all = new float[prompts.Length * model.VocabSize];
        model.ReadLogits(all);
        return [.. Enumerable.Range(0, prompts.Length).Select(i => all.AsSpan(i * model.VocabSize, model.VocabSize).ToArray())];
    }
}

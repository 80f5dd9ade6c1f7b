namespace LlmServe.Inference.Backends;

/// <summary>
/// A backend that can pick greedy tokens where the logits live. A step's logits are rows × vocabulary fp32
/// (131 MB for 256 rows of a 128k vocabulary); when every row is plain greedy only the chosen ids and their
/// logprobs need to reach the host.
/// </summary>
public interface IGreedyLogitsReader
{
    /// <summary>
    /// For each of the first <paramref name="rows"/> rows of <paramref name="logits"/>: the index of the largest
    /// logit (the lowest index on ties) and its log-softmax value over the raw row.
    /// </summary>
    void ArgmaxLogits(BackendTensor logits, int rows, Span<int> tokens, Span<float> logprobs);
}

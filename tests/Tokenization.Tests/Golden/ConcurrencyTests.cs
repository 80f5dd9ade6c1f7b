namespace LlmServe.Tokenization.Tests.Golden;

public sealed class ConcurrencyTests
{
    [Fact]
    public void Concurrent_encodes_on_one_instance_give_the_sequential_results()
    {
        HfTokenizer tokenizer = TokenizerFiles.Get("qwen3");
        IReadOnlyList<string> corpus = GoldenFixture.LoadCorpusStrings();
        int[][] expected = [.. corpus.Take(400).Select(s => tokenizer.Encode(s))];
        int[][] actual = new int[expected.Length][];
        Parallel.For(0, expected.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % expected.Length;
            actual[k] = tokenizer.Encode(corpus[k]);
        });
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k], actual[k]);
        }
    }
}

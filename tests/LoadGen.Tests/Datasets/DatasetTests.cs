using LlmServe.LoadGen.Datasets;

namespace LlmServe.LoadGen.Tests.Datasets;

public sealed class DatasetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TokenVocabulary Vocabulary = new(Enumerable.Range(100, 50));

    [Fact]
    public void Synthetic_sharegpt_lengths_are_long_tailed_around_230_in_and_200_out()
    {
        var random = new Random(5);
        var pairs = Enumerable.Range(0, 20_000).Select(_ => SyntheticShareGptDataset.DrawLengths(random)).ToList();

        Assert.InRange(pairs.Average(p => p.Input), 200, 260);
        Assert.InRange(pairs.Average(p => p.Output), 175, 225);
        Assert.All(pairs, p => Assert.True(ShareGptFilter.Keeps(p.Input, p.Output)));
        // Long tail: the 99th percentile is several times the median.
        var inputs = pairs.Select(p => p.Input).Order().ToList();
        Assert.True(inputs[(int)(0.99 * inputs.Count)] > 4 * inputs[inputs.Count / 2]);
    }

    [Fact]
    public async Task Synthetic_sharegpt_is_the_same_for_the_same_seed()
    {
        var factory = new PromptFactory(PromptFormat.Ids, Vocabulary, null);
        var a = await SyntheticShareGptDataset.CreateAsync(factory, 30, 9, Ct);
        var b = await SyntheticShareGptDataset.CreateAsync(factory, 30, 9, Ct);

        Assert.Equal(a.Select(r => (r.InputTokens, r.OutputTokens)), b.Select(r => (r.InputTokens, r.OutputTokens)));
        Assert.Equal(a[0].PromptIds, b[0].PromptIds);
    }

    [Fact]
    public async Task Random_prompts_have_exact_lengths_from_the_ordinary_vocabulary()
    {
        var factory = new PromptFactory(PromptFormat.Ids, Vocabulary, null);
        var requests = await RandomDataset.CreateAsync(factory, 20, 64, 16, 0, 1, Ct);

        Assert.All(requests, r =>
        {
            Assert.Equal(64, r.InputTokens);
            Assert.Equal(64, r.PromptIds!.Length);
            Assert.Equal(16, r.OutputTokens);
            Assert.All(r.PromptIds, id => Assert.InRange(id, 100, 149));
        });
    }

    [Fact]
    public async Task The_range_ratio_spreads_lengths_within_its_bounds()
    {
        var factory = new PromptFactory(PromptFormat.Ids, Vocabulary, null);
        var requests = await RandomDataset.CreateAsync(factory, 200, 100, 50, 0.5, 2, Ct);

        Assert.All(requests, r => Assert.InRange(r.InputTokens, 50, 150));
        Assert.All(requests, r => Assert.InRange(r.OutputTokens, 25, 75));
        Assert.True(requests.Select(r => r.InputTokens).Distinct().Count() > 20);
        Assert.Equal(requests.Select(r => r.InputTokens), requests.Select(r => r.PromptIds!.Length));
    }

    [Fact]
    public void Token_id_prompts_need_a_vocabulary()
    {
        Assert.Throws<ArgumentException>(() => new PromptFactory(PromptFormat.Ids, null, null));
    }

    [Fact]
    public void The_vocabulary_leaves_out_added_and_control_tokens()
    {
        string path = Path.Combine(Path.GetTempPath(), "loadgen-tok-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, """
            {"added_tokens":[{"id":5,"content":"<|begin_of_text|>","special":true}],
             "model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"<|reserved|>":3,"c":4,"<|begin_of_text|>":5}}}
            """);
        try
        {
            var vocabulary = TokenVocabulary.Load(path);
            Assert.Equal([0, 1, 2, 4], Enumerable.Range(0, vocabulary.Count).Select(i => vocabulary[i]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sharegpt_pairs_are_the_first_human_turn_and_the_answer_after_it()
    {
        string path = Path.Combine(Path.GetTempPath(), "loadgen-sharegpt-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, """
            [{"id":"1","conversations":[{"from":"human","value":"Q1"},{"from":"gpt","value":"A1"},{"from":"human","value":"Q2"}]},
             {"id":"2","conversations":[{"from":"gpt","value":"orphan"},{"from":"human","value":"Q3"},{"from":"gpt","value":"A3"}]},
             {"id":"3","conversations":[{"from":"human","value":"unanswered"}]},
             {"id":"4"}]
            """);
        try
        {
            Assert.Equal([("Q1", "A1"), ("Q3", "A3")], ShareGptDataset.ReadPairs(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

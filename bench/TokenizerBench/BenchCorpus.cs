using System.Text;

namespace LlmServe.TokenizerBench;

/// <summary>A fixed, seeded ~5 MB mix of prose, code, CJK, other scripts, numbers, emoji and whitespace-heavy text.</summary>
internal static class BenchCorpus
{
    private static readonly string[] English =
        ("the of and to in is that for it as with was on be by this are at from or an have not which but all they one " +
         "model server request token batch cache latency throughput scheduler worker gateway stream response inference " +
         "quickly however although because government international development information university performance " +
         "understanding responsibility characteristics experimental photosynthesis cryptocurrency").Split(' ');

    private static readonly string[] Syllables = "ka lo mi nu re sa ti vo ze qu an ex pro tion ing ment ous ter com dis".Split(' ');
    private static readonly string[] Chinese = "我们 你们 他们 模型 推理 服务器 请求 中文 测试 的 了 是 在 有 这 个 人 大 中 国 上 为 和 时 要 出 也 说 会 可以 发展 经济 技术".Split(' ');
    private static readonly string[] Japanese = "これは テスト です ます した カタカナ ひらがな 漢字 日本語 東京 大学 研究 の に を は が".Split(' ');
    private static readonly string[] Other = "привет мир модель сервер запрос مرحبا عالم نموذج خادم שלום עולם नमस्ते दुनिया 안녕하세요 세계 Γειά κόσμε สวัสดี".Split(' ');
    private static readonly string[] Emoji = "😀 😂 👍🏽 👨‍👩‍👧 🎉 🚀 ❤️ 🇫🇷 🤔 🧑🏾‍💻 ✨ 🔥".Split(' ');
    private static readonly string[] Idents = "value count index buffer request_id tokenIds max_len self this config result items".Split(' ');

    public static List<string> Build(int targetBytes = 5_000_000)
    {
        var random = new Random(42);
        var docs = new List<string>();
        long bytes = 0;
        while (bytes < targetBytes)
        {
            string doc = (random.Next(100)) switch
            {
                < 40 => Prose(random),
                < 60 => Code(random),
                < 70 => Cjk(random),
                < 80 => Multilingual(random),
                < 90 => Data(random),
                < 95 => Chat(random),
                _ => Whitespace(random),
            };
            docs.Add(doc);
            bytes += Encoding.UTF8.GetByteCount(doc);
        }

        return docs;
    }

    private static string Word(Random r) =>
        r.Next(10) < 7 ? English[r.Next(English.Length)] : string.Concat(Enumerable.Range(0, r.Next(2, 5)).Select(_ => Syllables[r.Next(Syllables.Length)]));

    private static string Prose(Random r)
    {
        var sb = new StringBuilder();
        int sentences = r.Next(3, 20);
        for (int s = 0; s < sentences; s++)
        {
            int n = r.Next(5, 25);
            for (int i = 0; i < n; i++)
            {
                string w = Word(r);
                if (i == 0)
                {
                    w = char.ToUpperInvariant(w[0]) + w[1..];
                }

                sb.Append(w);
                sb.Append(i == n - 1 ? (r.Next(5) == 0 ? "? " : ". ") : r.Next(12) == 0 ? ", " : r.Next(30) == 0 ? "'s " : " ");
            }

            if (r.Next(6) == 0)
            {
                sb.Append("\n\n");
            }
        }

        return sb.ToString();
    }

    private static string Code(Random r)
    {
        var sb = new StringBuilder();
        int lines = r.Next(5, 40);
        for (int i = 0; i < lines; i++)
        {
            string a = Idents[r.Next(Idents.Length)], b = Idents[r.Next(Idents.Length)];
            sb.Append(new string(' ', 4 * r.Next(0, 4)));
            sb.Append((r.Next(6)) switch
            {
                0 => $"for (int i = 0; i < {a}.Length; i++) {{",
                1 => $"if ({a} != null && {b} >= {r.Next(1000)}) return {a};",
                2 => $"def {a}_{b}(self, {b}: int = {r.Next(100)}) -> list[str]:",
                3 => $"const {a} = await fetch(`/api/{b}?id=${{{r.Next(99999)}}}`);",
                4 => $"// TODO: {Prose(r)[..20]}",
                _ => $"{a}[{r.Next(64)}] = {b}.map(x => x * {r.Next(10)}).filter(Boolean);",
            });
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Cjk(Random r)
    {
        var sb = new StringBuilder();
        string[] words = r.Next(2) == 0 ? Chinese : Japanese;
        int n = r.Next(20, 200);
        for (int i = 0; i < n; i++)
        {
            sb.Append(words[r.Next(words.Length)]);
            if (r.Next(15) == 0)
            {
                sb.Append(r.Next(2) == 0 ? "。" : "，");
            }
        }

        return sb.ToString();
    }

    private static string Multilingual(Random r) =>
        string.Join(' ', Enumerable.Range(0, r.Next(20, 150)).Select(_ => r.Next(4) == 0 ? Word(r) : Other[r.Next(Other.Length)]));

    private static string Data(Random r)
    {
        var sb = new StringBuilder();
        int rows = r.Next(5, 40);
        for (int i = 0; i < rows; i++)
        {
            sb.Append($"{r.Next(100000)},{r.NextDouble() * 1000:F3},{Idents[r.Next(Idents.Length)]},2026-{r.Next(1, 13):D2}-{r.Next(1, 29):D2},\"{r.Next(-500, 500)}\"\n");
        }

        return sb.ToString();
    }

    private static string Chat(Random r) =>
        string.Join(' ', Enumerable.Range(0, r.Next(5, 40)).Select(_ => r.Next(3) == 0 ? Emoji[r.Next(Emoji.Length)] : Word(r))) + "!!";

    private static string Whitespace(Random r)
    {
        var sb = new StringBuilder("| col | value |\n|-----|-------|\n");
        for (int i = 0; i < r.Next(3, 20); i++)
        {
            sb.Append($"|  {Word(r)}  |\t{r.Next(1000)}    |\n");
        }

        sb.Append(new string(' ', r.Next(1, 40))).Append("\n\n\n");
        return sb.ToString();
    }
}

namespace LlmServe.LoadGen.Datasets;

/// <summary>vLLM's ShareGPT filter: drop very short pairs and those that overflow a 2048-token context.</summary>
public static class ShareGptFilter
{
    public const int MinLength = 4;

    public const int MaxPrompt = 1024;

    public const int MaxTotal = 2048;

    public static bool Keeps(int input, int output) =>
        input >= MinLength && output >= MinLength && input <= MaxPrompt && input + output <= MaxTotal;
}

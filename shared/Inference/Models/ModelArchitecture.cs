namespace LlmServe.Inference.Models;

/// <summary>The decoder-only families this engine runs (config.json "architectures").</summary>
public enum ModelArchitecture
{
    /// <summary>LlamaForCausalLM (Llama 2/3.x, including llama3 RoPE scaling).</summary>
    Llama,

    /// <summary>Qwen2ForCausalLM: bias on q/k/v projections.</summary>
    Qwen2,

    /// <summary>Qwen3ForCausalLM: per-head RMSNorm of q and k before RoPE, explicit head_dim.</summary>
    Qwen3,

    /// <summary>MistralForCausalLM: Llama layout; sliding window handled by capping the context (see <see cref="ModelConfig.SlidingWindow"/>).</summary>
    Mistral,
}

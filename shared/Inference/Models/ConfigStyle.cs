namespace LlmServe.Inference.Models;

/// <summary>How a written config.json spells RoPE settings.</summary>
public enum ConfigStyle
{
    /// <summary>transformers 5: <c>rope_parameters { rope_type, rope_theta, ... }</c>.</summary>
    RopeParameters,

    /// <summary>Published checkpoints: <c>rope_theta</c> + <c>rope_scaling { rope_type, factor, ... }</c>.</summary>
    RopeThetaAndScaling,
}

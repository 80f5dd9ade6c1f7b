#!/usr/bin/env python3
"""Writes a random-weight Llama checkpoint directory (config.json, generation_config.json, *.safetensors, tokenizer
files) in the Llama-3.1 layout, for serving benchmarks where only the shapes matter.

  make_random_llama.py --out DIR --tokenizer-dir DIR [--shape 8b|tiny] [--seed N]

--shape 8b is Llama-3.1-8B (32 layers, hidden 4096, GQA 32/8, intermediate 14336) in bf16: ~16 GB, made on the GPU with
torch when torch is importable (about a minute, mostly the disk), else with the standard library (slow: minutes).
--shape tiny (2 layers, hidden 64) is for CPU runs. The vocabulary size, BOS and EOS ids come from the tokenizer.
"""
import argparse
import json
import os
import shutil
import struct
import sys
import time

SHAPES = {
    "8b": dict(layers=32, hidden=4096, inter=14336, heads=32, kv_heads=8, head_dim=128),
    "tiny": dict(layers=2, hidden=64, inter=128, heads=4, kv_heads=2, head_dim=16),
}
SHARD_BYTES = 4 << 30


def token_ids(tokenizer_dir):
    with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    added = {t["content"]: t["id"] for t in tok.get("added_tokens", [])}
    vocab = tok["model"]["vocab"]
    top = max(vocab.values()) if isinstance(vocab, dict) else len(vocab) - 1
    vocab_size = max([top] + list(added.values())) + 1
    cfg_path = os.path.join(tokenizer_dir, "tokenizer_config.json")
    cfg = json.load(open(cfg_path, encoding="utf-8")) if os.path.exists(cfg_path) else {}

    def content(v):
        return v.get("content") if isinstance(v, dict) else v

    bos = added.get(content(cfg.get("bos_token")) or "<|begin_of_text|>", 0)
    eos = []
    for name in [content(cfg.get("eos_token")), "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>"]:
        if name in added and added[name] not in eos:
            eos.append(added[name])
    return vocab_size, bos, eos or [vocab_size - 1]


def tensors(shape, vocab):
    h, d, L = shape["hidden"], shape["head_dim"], shape["layers"]
    q, kv, i = shape["heads"] * d, shape["kv_heads"] * d, shape["inter"]
    yield "model.embed_tokens.weight", (vocab, h), False
    for l in range(L):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", (h,), True
        yield p + "self_attn.q_proj.weight", (q, h), False
        yield p + "self_attn.k_proj.weight", (kv, h), False
        yield p + "self_attn.v_proj.weight", (kv, h), False
        yield p + "self_attn.o_proj.weight", (h, q), False
        yield p + "post_attention_layernorm.weight", (h,), True
        yield p + "mlp.gate_proj.weight", (i, h), False
        yield p + "mlp.up_proj.weight", (i, h), False
        yield p + "mlp.down_proj.weight", (h, i), False
    yield "model.norm.weight", (h,), True
    yield "lm_head.weight", (vocab, h), False


def numel(dims):
    n = 1
    for x in dims:
        n *= x
    return n


def shards(items):
    group, size = [], 0
    for item in items:
        b = numel(item[1]) * 2
        if group and size + b > SHARD_BYTES:
            yield group
            group, size = [], 0
        group.append(item)
        size += b
    if group:
        yield group


# Standard-library bf16: sign and mantissa random, exponent fixed so |w| is in [2^-6, 2^-5) (~0.016-0.031).
_LOW = bytes((b | 0x80) for b in range(256))           # low byte: lowest exponent bit set + 7 mantissa bits
_HIGH = bytes((0x3C | (b & 0x80)) for b in range(256))  # high byte: sign + upper exponent bits
_ONE = struct.pack("<H", 0x3F80)


def bf16_bytes_stdlib(n, ones):
    if ones:
        return _ONE * n
    out = bytearray(2 * n)
    out[0::2] = os.urandom(n).translate(_LOW)
    out[1::2] = os.urandom(n).translate(_HIGH)
    return bytes(out)


def write_stdlib(path, group):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dims, _ in group:
        b = numel(dims) * 2
        header[name] = {"dtype": "BF16", "shape": list(dims), "data_offsets": [offset, offset + b]}
        offset += b
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for _, dims, ones in group:
            f.write(bf16_bytes_stdlib(numel(dims), ones))


def write_torch(path, group, torch, device, generator):
    from safetensors.torch import save_file
    out = {}
    for name, dims, ones in group:
        if ones:
            t = torch.ones(dims, dtype=torch.bfloat16, device=device)
        else:
            t = torch.randn(dims, dtype=torch.bfloat16, device=device, generator=generator).mul_(0.02)
        out[name] = t.cpu().contiguous()
    save_file(out, path, metadata={"format": "pt"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="8b")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stdlib", action="store_true", help="do not use torch even when it is importable")
    args = ap.parse_args()
    shape = SHAPES[args.shape]
    vocab, bos, eos = token_ids(args.tokenizer_dir)
    os.makedirs(args.out, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab,
        "hidden_size": shape["hidden"], "intermediate_size": shape["inter"], "num_hidden_layers": shape["layers"],
        "num_attention_heads": shape["heads"], "num_key_value_heads": shape["kv_heads"], "head_dim": shape["head_dim"],
        "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "hidden_act": "silu", "tie_word_embeddings": False,
        "attention_bias": False, "mlp_bias": False, "bos_token_id": bos, "eos_token_id": eos if len(eos) > 1 else eos[0],
        "torch_dtype": "bfloat16", "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
    }
    json.dump(config, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": bos, "eos_token_id": eos}, open(os.path.join(args.out, "generation_config.json"), "w"), indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        src = os.path.join(args.tokenizer_dir, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(args.out, name))

    torch = None
    if not args.stdlib:
        try:
            import torch  # noqa: F811
            import safetensors.torch  # noqa: F401
        except ImportError:
            torch = None
    device = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    generator = None
    if torch is not None:
        generator = torch.Generator(device=device)
        generator.manual_seed(args.seed)

    started = time.time()
    groups = list(shards(tensors(shape, vocab)))
    weight_map, total = {}, 0
    for k, group in enumerate(groups):
        file = "model.safetensors" if len(groups) == 1 else f"model-{k + 1:05d}-of-{len(groups):05d}.safetensors"
        path = os.path.join(args.out, file)
        if torch is not None:
            write_torch(path, group, torch, device, generator)
        else:
            write_stdlib(path, group)
        for name, dims, _ in group:
            weight_map[name] = file
            total += numel(dims) * 2
    if len(groups) > 1:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
                  open(os.path.join(args.out, "model.safetensors.index.json"), "w"))
    params = total // 2
    print(f"wrote {args.shape} Llama ({params / 1e9:.2f}B params, vocab {vocab}, bos {bos}, eos {eos}) to {args.out} "
          f"in {time.time() - started:.1f} s using {'torch on ' + device if torch is not None else 'the standard library'}",
          file=sys.stderr)


if __name__ == "__main__":
    main()

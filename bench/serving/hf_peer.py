#!/usr/bin/env python3
"""The peer for bench/serving: Hugging Face transformers' continuous batching (ContinuousBatchingManager, the engine
behind generate_batch) with paged attention on the same random checkpoint and the same request shapes, offline
(every request submitted at once; no HTTP, no tokenization). Writes a JSON file that summarize.py tabulates.

  hf_peer.py --model DIR --out FILE [--workloads "a c d"] [--a IN,OUT,N] [--c IN,OUT,N] [--d N] [--max-batch-tokens T]

Workload b (arrival rates) has no offline equivalent and is skipped. Workload d draws lengths from the same
log-normal distribution as LoadGen's sharegpt-synthetic (same parameters, Python's RNG: not the identical requests).
"""
import argparse
import json
import math
import random
import sys
import time

import torch
from transformers import AutoModelForCausalLM
from transformers.generation import GenerationConfig

ATTENTION = ["paged|sdpa", "sdpa_paged", "paged_attention"]


def load(model_dir, device):
    last = None
    for attn in ATTENTION:
        try:
            model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16, device_map=device, attn_implementation=attn)
            model.generation_config.eos_token_id = None
            return model, attn
        except Exception as e:  # noqa: BLE001 - try the next spelling of paged attention
            last = e
            print(f"attn_implementation={attn!r} failed: {e}", file=sys.stderr)
    raise last


def synthetic_lengths(n, seed):
    rng = random.Random(seed)

    def lognormal(mean, sigma):
        return math.exp(math.log(mean) - sigma * sigma / 2 + sigma * rng.gauss(0, 1))

    out = []
    while len(out) < n:
        i, o = round(lognormal(240, 1.0)), round(lognormal(200, 0.8))
        if 4 <= i <= 1024 and o >= 4 and i + o <= 2048:
            out.append((i, o))
    return out


def run(model, requests, max_batch_tokens, one_at_a_time=False):
    """requests: list of (input_ids, max_new_tokens). Returns (seconds, generated token count)."""
    config = GenerationConfig(max_new_tokens=max(o for _, o in requests), do_sample=False, eos_token_id=None,
                              pad_token_id=0)
    cb_kwargs = {}
    try:
        from transformers.generation import ContinuousBatchingConfig
        cb_kwargs["continuous_batching_config"] = ContinuousBatchingConfig(max_batch_tokens=max_batch_tokens)
    except Exception:  # noqa: BLE001 - older 5.x: defaults
        pass
    batches = [[r] for r in requests] if one_at_a_time else [requests]
    generated = 0
    torch.cuda.synchronize() if torch.cuda.is_available() else None
    start = time.perf_counter()
    try:
        context = model.continuous_batching_context_manager(generation_config=config, **cb_kwargs)
    except TypeError:  # 5.x releases before ContinuousBatchingConfig took only the generation config
        context = model.continuous_batching_context_manager(generation_config=config)
    with context as manager:
        for batch in batches:
            for k, (ids, out) in enumerate(batch):
                manager.add_request(input_ids=ids, request_id=f"r{generated}-{k}", max_new_tokens=out)
            done = 0
            for result in manager:
                generated += len(result.generated_tokens)
                done += 1
                if done == len(batch):
                    break
    return time.perf_counter() - start, generated


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workloads", default="a c d")
    ap.add_argument("--a", default="1024,128,1000")
    ap.add_argument("--c", default="512,256,8")
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--max-batch-tokens", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, attn = load(args.model, device)
    vocab = min(model.config.vocab_size, 128000)  # ordinary ids only (Llama 3 specials start at 128000)
    rng = random.Random(args.seed)

    def prompt(n):
        return [rng.randrange(vocab) for _ in range(n)]

    # Warm-up: CUDA kernels, allocator, the manager's first start.
    run(model, [(prompt(64), 8) for _ in range(4)], args.max_batch_tokens)
    results = []
    wanted = args.workloads.split()
    for name in ("a", "c", "d"):
        if name not in wanted:
            continue
        if name in ("a", "c"):
            i, o, n = (int(x) for x in getattr(args, name).split(","))
            requests = [(prompt(i), o) for _ in range(n)]
        else:
            requests = [(prompt(i), o) for i, o in synthetic_lengths(args.d, args.seed)]
        seconds, generated = run(model, requests, args.max_batch_tokens, one_at_a_time=(name == "c"))
        inputs = sum(len(ids) for ids, _ in requests)
        row = dict(name=name, attn=attn, prompts=len(requests), input_tokens=inputs, output_tokens=generated, duration=seconds,
                   request_throughput=len(requests) / seconds, output_throughput=generated / seconds,
                   total_token_throughput=(inputs + generated) / seconds)
        if name == "c":
            row["ms_per_token"] = seconds / max(1, generated) * 1000
        print(json.dumps(row), file=sys.stderr)
        results.append(row)
    note = (f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, attn_implementation={attn!r}, "
            f"max_batch_tokens {args.max_batch_tokens}, greedy, EOS off; offline: all requests submitted at once (c: one at a time), "
            f"time includes prefill; b skipped (no arrivals offline)")
    json.dump({"note": note, "results": results}, open(args.out, "w"), indent=2)


if __name__ == "__main__":
    main()

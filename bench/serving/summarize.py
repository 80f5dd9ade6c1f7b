#!/usr/bin/env python3
"""Turns the LoadGen result files of one bench/serving/run.sh run into RESULTS.md (printed to stdout)."""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:  # noqa: BLE001 - a missing tool just leaves the field empty
        return ""


def fmt(v, d=1):
    return "—" if v is None else f"{v:,.{d}f}"


def metrics(path):
    values = {}
    if os.path.exists(path):
        for line in open(path):
            name, _, value = line.rpartition(" ")
            values[name.split("{")[0]] = float(value)
    return values


def main():
    ap = argparse.ArgumentParser()
    for a in ("out", "mode", "model-dir", "device", "peer-note", "ceilings", "config", "workloads"):
        ap.add_argument("--" + a, default="")
    args = ap.parse_args()
    out = args.out
    config = json.load(open(os.path.join(args.model_dir, "config.json")))
    params = None
    index = os.path.join(args.model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        params = json.load(open(index))["metadata"]["total_size"] / 2
    gpu = sh("nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader") or "none (CPU run)"
    dotnet = sh("dotnet --list-runtimes | grep NETCore.App | tail -1")
    peer_versions = sh("python3 -c 'import torch, transformers; print(\"torch\", torch.__version__, \"transformers\", transformers.__version__)' 2>/dev/null")
    p = print
    p(f"# Serving benchmark ({args.mode}): results")
    p()
    p(f"- **Date**: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}. **Host**: {platform.node()}, {os.cpu_count()} CPUs. **GPU**: {gpu}.")
    p(f"- **Runtime**: {dotnet or 'dotnet (version unknown)'}; nats-server {sh('nats-server --version') or '(on PATH)'}; peer: {peer_versions or 'no torch/transformers here'}.")
    p(f"- **Model**: random-weight Llama ({config['num_hidden_layers']} layers, hidden {config['hidden_size']}, heads {config['num_attention_heads']}/{config['num_key_value_heads']}, "
      f"intermediate {config['intermediate_size']}, vocab {config['vocab_size']}, {config.get('torch_dtype')}{', %.2fB params' % (params / 1e9) if params else ''}), "
      f"Llama 3.1 tokenizer; device `{args.device}`. Every service its own process over nats-server.")
    p(f"- **Server settings**: {args.config}.")
    for log, marker in (("Worker.txt", "Worker for "), ("Scheduler.txt", "KV cache:")):
        path = os.path.join(out, "logs", log)
        if os.path.exists(path):
            lines = [l for l in open(path, errors="replace") if marker in l]
            if lines:
                p(f"- **{log[:-4]} said**: `{lines[-1].strip().split('] ', 1)[-1][:300]}`")
    p(f"- **Floor ceilings**: {args.ceilings}.")
    p("- Every workload sends `ignore_eos` (+ `min_tokens` = `max_tokens`), prompts are random token ids (exact lengths), "
      "output tokens are counted from the server's `usage`. Times in ms. % of floor = floor duration / measured duration.")
    p()
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "*.json")), key=os.path.getmtime):
        name = os.path.basename(path)[:-5]
        if name == "peer":
            continue
        r = json.load(open(path))
        rows.append((name, r))
    if not rows:
        p("No workload produced a result file (see logs/).")
    p("| workload | prompts | rate | conc | ok / failed | duration s | req/s | out tok/s | total tok/s | TTFT mean / p50 / p99 | TPOT mean / p99 | ITL mean / p99 | E2EL mean / p99 |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        p(f"| {name} ({r['dataset_name']}) | {r['num_prompts']} | {r['request_rate']} | {r['max_concurrency'] or '—'} | {r['completed']} / {r['failed']} | "
          f"{fmt(r['duration'], 2)} | {fmt(r['request_throughput'], 2)} | {fmt(r['output_throughput'])} | {fmt(r['total_token_throughput'])} | "
          f"{fmt(r['mean_ttft_ms'])} / {fmt(r['p50_ttft_ms'])} / {fmt(r['p99_ttft_ms'])} | {fmt(r['mean_tpot_ms'], 2)} / {fmt(r['p99_tpot_ms'], 2)} | "
          f"{fmt(r['mean_itl_ms'], 2)} / {fmt(r['p99_itl_ms'], 2)} | {fmt(r['mean_e2el_ms'])} / {fmt(r['p99_e2el_ms'])} |")
    p()
    p("## Against the floor of each workload")
    p("Floor (strict) = max(prefill FLOPs / GEMM rate, decode bytes / bandwidth, last arrival); decode bytes = weights × the steps a perfect "
      "batcher needs at the concurrency + the KV every generated token reads. Floor (serial) = prefill time plus decode time, the "
      "serving-benchmark issue's definition (its ~29 s for workload a on the H100); the strict floor assumes the two overlap perfectly. "
      "TTFT/TPOT floors are for a request alone on the card.")
    p()
    p("| workload | in / out tokens | measured s | floor s (strict) | floor s (serial) | % of strict floor | % of serial floor | out tok/s | floor out tok/s | TTFT mean / floor | TPOT mean / floor |")
    p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        f = r.get("floor")
        if not f:
            continue
        p(f"| {name} | {r['total_input_tokens']:,} / {r['total_output_tokens']:,} | {fmt(r['duration'], 2)} | {fmt(f['duration_s'], 2)} | "
          f"{fmt(f['serial_duration_s'], 2)} | {fmt(f['percent_of_floor'])}% | {fmt(100 * f['serial_duration_s'] / r['duration'])}% | {fmt(r['output_throughput'])} | {fmt(f['output_throughput'])} | "
          f"{fmt(r['mean_ttft_ms'])} / {fmt(f['mean_ttft_ms'], 2)} | {fmt(r['mean_tpot_ms'], 2)} / {fmt(f['mean_tpot_ms'], 2)} |")
    burst = float(os.environ.get("FLOOR_GEMM_BURST_TFLOPS") or 0)
    floored = [(n, r, r["floor"]) for n, r in rows if r.get("floor")]
    if burst > 0 and floored and abs(burst - floored[0][2]["gemm_tflops"]) > 0.5:
        # The floors above use the sustained GEMM rate; the same floors at the short-burst rate, for comparison.
        p()
        p(f"The same floors at the burst GEMM rate ({burst:.0f} TFLOP/s, a few GEMMs from a cool card) instead of the sustained one "
          f"({floored[0][2]['gemm_tflops']:.0f} TFLOP/s, clocks under the power limit): prefill time scales by their ratio.")
        p()
        p("| workload | floor s strict / serial at the burst rate | % of strict / serial floor at the burst rate |")
        p("| --- | ---: | ---: |")
        for name, r, f in floored:
            prefill = f["prefill_s"] * f["gemm_tflops"] / burst
            # A floor above both phases is the last arrival (rate-limited workloads): it stays.
            arrival = f["duration_s"] if f["duration_s"] > max(f["prefill_s"], f["decode_s"]) + 1e-9 else 0
            strict, serial = max(prefill, f["decode_s"], arrival), max(prefill + f["decode_s"], arrival)
            p(f"| {name} | {fmt(strict, 2)} / {fmt(serial, 2)} | {fmt(100 * strict / r['duration'])}% / {fmt(100 * serial / r['duration'])}% |")
    errors = [(n, e) for n, r in rows for e in r.get("errors", [])]
    if errors:
        p()
        p("Errors (first of each kind):")
        for n, e in errors:
            p(f"- {n}: ×{e['count']} {e['error']}")

    before, after = metrics(os.path.join(out, "c-metrics-before.txt")), metrics(os.path.join(out, "c-metrics-after.txt"))
    c = dict(rows).get("c")
    if c and before and after:
        def delta_mean(key):
            s = after.get(f"llmserve:{key}_seconds_sum", 0) - before.get(f"llmserve:{key}_seconds_sum", 0)
            n = after.get(f"llmserve:{key}_seconds_count", 0) - before.get(f"llmserve:{key}_seconds_count", 0)
            return s / n * 1000 if n else None
        g_ttft, g_tpot, g_e2e = delta_mean("time_to_first_token"), delta_mean("time_per_output_token"), delta_mean("e2e_request_latency")
        f = c.get("floor") or {}
        p()
        p("## Where a single stream's time goes (workload c)")
        p("Client = LoadGen; gateway = the gateway's own histograms (`/metrics`, request arrival to first text / per token / last byte), "
          "differenced over workload c (the server's warm-up ran before, in a separate run; LoadGen's own one warm-up request is in the gateway's numbers). Client − gateway is the HTTP hop and the client; gateway − floor is "
          "everything behind the gateway (tokenizer, scheduler, bus, worker compute above the floor, detokenizer). "
          "The hop-by-hop split behind the gateway is the per-hop timing table below, when the run asked for it.")
        p()
        p("| | TTFT ms | TPOT ms | E2EL ms |")
        p("| --- | ---: | ---: | ---: |")
        p(f"| client (LoadGen) | {fmt(c['mean_ttft_ms'], 2)} | {fmt(c['mean_tpot_ms'], 3)} | {fmt(c['mean_e2el_ms'], 1)} |")
        p(f"| gateway (/metrics) | {fmt(g_ttft, 2)} | {fmt(g_tpot, 3)} | {fmt(g_e2e, 1)} |")
        p(f"| floor (request alone) | {fmt(f.get('mean_ttft_ms'), 2)} | {fmt(f.get('mean_tpot_ms'), 3)} | — |")
        if g_ttft is not None:
            p(f"| HTTP hop + client (client − gateway) | {fmt(c['mean_ttft_ms'] - g_ttft, 2)} | {fmt(c['mean_tpot_ms'] - (g_tpot or 0), 3)} | {fmt(c['mean_e2el_ms'] - (g_e2e or 0), 1)} |")
            if f:
                p(f"| behind the gateway above the floor | {fmt(g_ttft - f['mean_ttft_ms'], 2)} | {fmt((g_tpot or 0) - f['mean_tpot_ms'], 3)} | — |")

    for name, r in rows:
        hops = r.get("hop_timings")
        if not hops:
            continue
        p()
        p(f"## Per-hop timing (workload {name})")
        p(f"Server stamps (µs) returned with each request (`x-llmserve-timing: 1`, LoadGen `--hop-timings`): {hops['requests']} requests, "
          f"{hops['steady_tokens']} steady tokens, {hops['clamped']} values clamped (clock skew), {hops['planned_ahead']} steps planned ahead. "
          "First-token hops tile gateway arrival → first text written (% of the client's mean TTFT); steady-token hops run from the request's "
          "previous result at the scheduler to the token written (% of the client's mean TPOT; they overlap the next step, so they do not add up: "
          "scheduler_queue + worker_execute + worker_bus is the step cycle). The http rows compare LoadGen's clock with the gateway's "
          "(one machine here). Hops: bench/serving/README.md, \"Per-hop timing\".")
        p()
        p("| hop | first token mean | p50 | p99 | % TTFT | steady token mean | p50 | p99 | % TPOT |")
        p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

        def cells(s, share):
            return ["—"] * 4 if not s else [fmt(s["mean_us"]), fmt(s["p50_us"], 0), fmt(s["p99_us"], 0), fmt(s[share]) + "%"]
        steady_sum = 0.0
        if hops.get("http_client_to_gateway"):
            p("| " + " | ".join(["(http: client → gateway)"] + cells(hops["http_client_to_gateway"], "share_of_ttft") + ["", "", "", ""]) + " |")
        for h in hops["hops"]:
            steady_sum += (h.get("per_token") or {}).get("mean_us", 0)
            p("| " + " | ".join([h["hop"].removesuffix("_us")] + cells(h.get("first_token"), "share_of_ttft") + cells(h.get("per_token"), "share_of_tpot")) + " |")
        if hops.get("http_gateway_to_client"):
            p("| " + " | ".join(["(http: gateway → client)"] + cells(hops["http_gateway_to_client"], "share_of_ttft") + ["", "", "", ""]) + " |")
        ttft, tpot = hops["client_mean_ttft_us"], hops["client_mean_tpot_us"]
        total = hops["first_token_total_mean_us"]
        p(f"| **sum of server hops** | {fmt(total)} | | | {fmt(100 * total / ttft if ttft else None)}% | {fmt(steady_sum)} | | | {fmt(100 * steady_sum / tpot if tpot else None)}% |")
        p(f"| **client TTFT / TPOT** | {fmt(ttft)} | | | | {fmt(tpot)} | | | |")

    peer_path = os.path.join(out, "peer.json")
    p()
    p("## Peer: Hugging Face transformers continuous batching (`generate_batch`)")
    p(f"Status: {args.peer_note}.")
    if os.path.exists(peer_path):
        peer = json.load(open(peer_path))
        p()
        p(f"{peer.get('note', '')}")
        p()
        p("| workload | attention | prompts | in / out tokens | duration s | req/s | out tok/s | total tok/s | ms per output token (one stream) |")
        p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for w in peer.get("results", []):
            p(f"| {w['name']} | {w['attn']} | {w['prompts']} | {w['input_tokens']:,} / {w['output_tokens']:,} | {fmt(w['duration'], 2)} | "
              f"{fmt(w['request_throughput'], 2)} | {fmt(w['output_throughput'])} | {fmt(w['total_token_throughput'])} | {fmt(w.get('ms_per_token'), 2)} |")
    sched = os.path.join(out, "scheduler-status.txt")
    if os.path.exists(sched) and os.path.getsize(sched):
        p()
        p("Scheduler's last status lines:")
        p("```")
        for line in open(sched):
            p(line.rstrip()[:400])
        p("```")
    busy = worker_windows(os.path.join(out, "logs", "Worker.txt"))
    if busy:
        p()
        p("Worker step windows (its `Stage N steps` log lines, every `Worker:StepStatisticsInterval`): the share of each "
          "window spent executing steps; under load anything well below 100% is time the GPU waited for plans.")
        p()
        p("| window ends | steps | busy % | mean step ms | longest ms | decode rows | chunk tokens | tokens/s |")
        p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for w in busy:
            p(f"| {w['at']} | {w['steps']} | {w['busy']} | {w['mean']} | {w['longest']} | {w['decode']} | {w['chunk']} | {w['rate']} |")
    p()
    p(f"Raw: `*.json` (LoadGen result files), `*.txt` (LoadGen tables), `logs/` (every service's output). Workloads run: {args.workloads}.")


WINDOW = re.compile(r"^(\S+).*Stage \d+ steps: (\d+) in ([\d.]+) s, busy ([\d.]+)%, mean ([\d.]+) ms, longest ([\d.]+) ms; "
                    r"(\d+) decode rows \+ (\d+) chunk tokens = (\d+) tokens/s")


def worker_windows(path):
    """The worker's step-statistics lines, parsed (empty when the log is missing or has none)."""
    if not os.path.exists(path):
        return []
    windows = []
    for line in open(path, errors="replace"):
        m = WINDOW.search(line)
        if m:
            windows.append(dict(zip(("at", "steps", "window", "busy", "mean", "longest", "decode", "chunk", "rate"), m.groups())))
    return windows


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The serving benchmark on the GPU machine: a random-weight Llama-3.1-8B-shaped bf16 model (written here by
# make_random_llama.py with torch, ~16 GB in /tmp; nothing carried but the Llama 3.1 tokenizer), nats-server + every
# service as its own process, the worker on CUDA. Pack first on the dev machine: bash bench/serving/pack.sh; then:
#   run(command="bash .device/on-device.sh 'bash bench/serving/run-gpu.sh a c'", carry=[".device"])
# With the kernel bench in the same call (also: bash ../shared/device/pack.sh bench/CudaCheck/CudaCheck.csproj):
#   bash .device/on-device.sh 'dotnet .device/app/CudaCheck/LlmServe.CudaCheck.dll > $OUT/cudacheck-log.txt;
#     CEILINGS_FROM=$OUT/cudacheck-log.txt OUT=$OUT/serving bash bench/serving/run-gpu.sh c a b d'
# Workloads a b c d (README.md); results in $OUT/RESULTS.md. Every variable of run.sh can be overridden.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
device_dir=${DEVICE_DIR:-$repo/.device}
if [ -z "${TOKENIZER_DIR:-}" ]; then
  export TOKENIZER_DIR=/tmp/llama31-tokenizer
  if [ ! -f "$TOKENIZER_DIR/tokenizer.json" ]; then
    mkdir -p "$TOKENIZER_DIR" && tar -C "$TOKENIZER_DIR" -xJf "$device_dir/llama31-tokenizer.tar.xz"
  fi
fi
# The services come packed as apps.tar.xz (bench/serving/pack.sh); .device/app may hold only CudaCheck beside them.
if [ -z "${APPS:-}" ] && [ ! -d "$device_dir/app/Gateway" ] && [ -f "$device_dir/apps.tar.xz" ]; then
  [ -d /tmp/llmserve-apps/app ] || { mkdir -p /tmp/llmserve-apps && tar -C /tmp/llmserve-apps -xJf "$device_dir/apps.tar.xz"; }
  export APPS=/tmp/llmserve-apps/app
fi
export MODE=gpu DEVICE=${DEVICE:-cuda} MODEL_SHAPE=${MODEL_SHAPE:-8b} MODEL_DIR=${MODEL_DIR:-/tmp/llmserve-llama8b-random}
export APPS=${APPS:-$device_dir/app} OUT=${OUT:-$repo/bench/serving/out-gpu}
# Ceilings: CEILINGS_FROM=<a bench/CudaCheck log of this machine> reads its copy-bandwidth and GEMM lines (the way the
# H200 results were made: CudaCheck, then this script, in one device call); else the H100 numbers of bench/cuda/RESULTS.md
# run 5; MEASURE_CEILINGS=1 re-measures them with torch (~10 s).
if [ -n "${CEILINGS_FROM:-}" ]; then
  [ -f "$CEILINGS_FROM" ] || { echo "CEILINGS_FROM=$CEILINGS_FROM: no such file" >&2; exit 2; }
  bw=$(grep -oP 'copy bandwidth[^:]*: \K[0-9.]+(?= TB/s)' "$CEILINGS_FROM" | head -1)
  gf=$(grep -oP 'GEMM 8192\^3[^:]*: \K[0-9]+(?= TFLOP/s)' "$CEILINGS_FROM" | head -1)
  # FLOOR_GEMM=sustained: the rate of 2 s of back-to-back GEMMs (clocks under the power limit) instead of the burst's.
  gemm_note=""
  if [ "${FLOOR_GEMM:-burst}" = sustained ]; then
    # summarize.py also prints the floors at the burst rate beside these.
    export FLOOR_GEMM_BURST_TFLOPS=$gf
    gf=$(grep -oP 'GEMM sustained 8192\^3[^:]*: \K[0-9]+(?= TFLOP/s)' "$CEILINGS_FROM" | head -1)
    gemm_note=", sustained GEMM rate"
  fi
  [ -n "$bw" ] && [ -n "$gf" ] || { echo "CEILINGS_FROM=$CEILINGS_FROM has no ceilings lines (run CudaCheck with its bench)" >&2; exit 2; }
  export FLOOR_GEMM_TFLOPS=$gf FLOOR_BW_GBS=$(awk -v t="$bw" 'BEGIN { printf "%d", t * 1000 }')
  export CEILINGS_SOURCE=${CEILINGS_SOURCE:-"measured by bench/CudaCheck on this GPU ($(basename "$CEILINGS_FROM")$gemm_note)"}
fi
export FLOOR_GEMM_TFLOPS=${FLOOR_GEMM_TFLOPS:-791} FLOOR_BW_GBS=${FLOOR_BW_GBS:-3030}
export CEILINGS_SOURCE=${CEILINGS_SOURCE:-"H100 numbers of bench/cuda/RESULTS.md run 5 (cuBLASLt 8192³, device copy)"}
# The peer is its own call by default (PEER_ONLY=1 PEER=1), to keep each call under the device's 10-minute limit.
export PEER=${PEER:-0} PEER_A_PROMPTS=${PEER_A_PROMPTS:-256} PEER_C_PROMPTS=${PEER_C_PROMPTS:-2} PEER_D_PROMPTS=${PEER_D_PROMPTS:-256}
export PEER_TIMEOUT=${PEER_TIMEOUT:-480}
export WORKLOAD_TIMEOUT=${WORKLOAD_TIMEOUT:-300}
# Workload c asks every request for its per-hop breakdown (x-llmserve-timing; bench/serving/README.md, "Per-hop timing").
export C_HOP_TIMINGS=${C_HOP_TIMINGS:-1}
# NVRTC-compiled kernels are cached here across calls while the machine stays warm (as bench/cuda does).
export LLMSERVE_CACHE=${LLMSERVE_CACHE:-/tmp/llmc}
exec bash "$repo/bench/serving/run.sh" "$@"

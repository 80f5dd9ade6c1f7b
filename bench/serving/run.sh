#!/usr/bin/env bash
# Serving benchmark of the whole pipeline: nats-server + gateway, tokenizer, scheduler, worker, detokenizer, each its
# own process, driven by bench/LoadGen over HTTP. Shared by run-gpu.sh (8B-shaped random bf16 model on CUDA) and
# run-cpu.sh (tiny random model on the CPU backend); both only set defaults and call this.
#
#   bench/serving/run.sh [a] [b] [c] [d]        (default: every workload; or WORKLOADS="a c")
#
# Workloads (every one with ignore_eos, so output lengths are exactly the asked ones):
#   a  random A_IN/A_OUT (1024/128), A_PROMPTS (1000) prompts, rate inf, max concurrency A_CONC (256)
#   b  the same shape at each rate in B_RATES (4 8 16 req/s), B_PROMPTS (100) prompts each
#   c  one stream: random C_IN/C_OUT (512/256), C_PROMPTS (8) prompts one after another, with the per-hop breakdown
#      (LoadGen --hop-timings; C_HOP_TIMINGS=0 leaves it off)
#   d  sharegpt-synthetic (mean ~230 in / ~200 out, long-tailed), D_PROMPTS (1000) prompts, rate inf
# Environment (defaults from the wrapper): MODE gpu|cpu, OUT (results folder), MODEL_DIR (made here when missing),
# MODEL_SHAPE 8b|tiny, TOKENIZER_DIR (Llama 3.1 tokenizer.json + tokenizer_config.json), APPS (published apps: APPS/<Name>/LlmServe.<Name>.dll;
# else the repository's Release build), DEVICE cpu|cuda, FLOOR_GEMM_TFLOPS / FLOOR_BW_GBS (or MEASURE_CEILINGS=1 with torch),
# PEER auto|0|1 (Hugging Face transformers continuous batching on the same shapes; PEER_ONLY=1 runs only that), WARMUPS, WORKLOAD_TIMEOUT (s),
# MAX_NUM_SEQS, MAX_BATCHED_TOKENS, MAX_MODEL_LEN, GPU_MEM_UTIL, KV_CACHE_MIB (cpu), LOADGEN_ARGS (more LoadGen arguments).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$repo/bench/serving"
MODE=${MODE:-gpu}
OUT=${OUT:-$repo/bench/serving/out-$MODE}
MODEL_SHAPE=${MODEL_SHAPE:-8b}
MODEL_DIR=${MODEL_DIR:-/tmp/llmserve-serving-$MODEL_SHAPE}
DEVICE=${DEVICE:-cuda}
SERVED=${SERVED:-llama-random}
WARMUPS=${WARMUPS:-4}
WORKLOAD_TIMEOUT=${WORKLOAD_TIMEOUT:-600}
MAX_NUM_SEQS=${MAX_NUM_SEQS:-256}
MAX_BATCHED_TOKENS=${MAX_BATCHED_TOKENS:-2048}
MAX_MODEL_LEN=${MAX_MODEL_LEN:-4096}
GPU_MEM_UTIL=${GPU_MEM_UTIL:-0.9}
KV_CACHE_MIB=${KV_CACHE_MIB:-512}
A_IN=${A_IN:-1024}; A_OUT=${A_OUT:-128}; A_PROMPTS=${A_PROMPTS:-1000}; A_CONC=${A_CONC:-256}
B_RATES=${B_RATES:-4 8 16}; B_PROMPTS=${B_PROMPTS:-100}
C_IN=${C_IN:-512}; C_OUT=${C_OUT:-256}; C_PROMPTS=${C_PROMPTS:-8}; C_HOP_TIMINGS=${C_HOP_TIMINGS:-1}
D_PROMPTS=${D_PROMPTS:-1000}
FLOOR_GEMM_TFLOPS=${FLOOR_GEMM_TFLOPS:-791}
FLOOR_BW_GBS=${FLOOR_BW_GBS:-3030}
CEILINGS_SOURCE=${CEILINGS_SOURCE:-"given (FLOOR_GEMM_TFLOPS, FLOOR_BW_GBS)"}
PEER=${PEER:-auto}
workloads=${*:-${WORKLOADS:-a b c d}}
mkdir -p "$OUT"
logs="$OUT/logs"; mkdir -p "$logs"
started=$(date +%s)
say() { echo "[serving $(( $(date +%s) - started ))s] $*" >&2; }

dll() {  # dll NAME -> path of LlmServe.NAME.dll (published app, else the Release build)
  local name=$1
  for p in "${APPS:-/nonexistent}/$name/LlmServe.$name.dll" "$repo/services/$name/bin/Release/net10.0/LlmServe.$name.dll" \
           "$repo/bench/$name/bin/Release/net10.0/LlmServe.$name.dll"; do
    [ -f "$p" ] && { echo "$p"; return; }
  done
  echo "LlmServe.$name.dll not found (APPS=${APPS:-unset}); build with dotnet build -c Release or pack the apps" >&2; return 1
}
http_get() {  # http_get URL: prints the body of a 200 answer, fails otherwise (python3, not curl: the GPU machine may lack curl)
  python3 -c 'import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=5); sys.stdout.write(r.read().decode())' "$1" 2>/dev/null
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for LOGFILE TEXT SECONDS PID
  local deadline=$(( $(date +%s) + $3 ))
  until grep -q "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$4" 2>/dev/null; then echo "process $4 died before '$2':" >&2; tail -30 "$1" >&2; return 1; fi
    if [ "$(date +%s)" -gt "$deadline" ]; then echo "no '$2' in $1 after $3 s:" >&2; tail -30 "$1" >&2; return 1; fi
    sleep 0.5
  done
}

summarize() {
  python3 "$here/summarize.py" --out "$OUT" --mode "$MODE" --model-dir "$MODEL_DIR" --device "$DEVICE" --peer-note "${peer_note:-not run yet}" \
    --ceilings "$FLOOR_GEMM_TFLOPS TFLOP/s GEMM, $FLOOR_BW_GBS GB/s: $CEILINGS_SOURCE" \
    --config "max_num_seqs $MAX_NUM_SEQS, max_num_batched_tokens $MAX_BATCHED_TOKENS, max_model_len $MAX_MODEL_LEN, warm-ups $WARMUPS per workload" \
    --workloads "$workloads" > "$OUT/RESULTS.md" || say "summarize.py failed"
}

# 1. The model: generated here, never carried.
if [ ! -f "$MODEL_DIR/config.json" ]; then
  say "writing the random $MODEL_SHAPE model to $MODEL_DIR"
  python3 "$here/make_random_llama.py" --out "$MODEL_DIR" --tokenizer-dir "$TOKENIZER_DIR" --shape "$MODEL_SHAPE" 2>&1 | tee "$logs/make-model.txt" >&2
fi

# 2. Ceilings for the floor: measured with torch when asked and possible, else given.
if [ "${MEASURE_CEILINGS:-0}" = 1 ] && python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  read -r FLOOR_GEMM_TFLOPS FLOOR_BW_GBS < <(python3 "$here/measure_ceilings.py")
  CEILINGS_SOURCE="measured here with torch (bf16 8192³ matmul; device-to-device copy, read + write)"
fi
say "floor ceilings: GEMM $FLOOR_GEMM_TFLOPS TFLOP/s, bandwidth $FLOOR_BW_GBS GB/s ($CEILINGS_SOURCE)"

# 3. nats-server and the five services, each its own process (PEER_ONLY=1 skips straight to the peer).
pids=()
cleanup() {  # SIGTERM in reverse start order, then SIGKILL whatever has not exited after 5 s (device time is scarce)
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT
if [ "${PEER_ONLY:-0}" != 1 ]; then
nats_port=$(free_port); http_port=$(free_port)
nats_bin=${NATS_SERVER:-$(command -v nats-server)}
"$nats_bin" -a 127.0.0.1 -p "$nats_port" > "$logs/nats.txt" 2>&1 & pids+=($!)
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break; sleep 0.1; done
export Messaging__Url="nats://127.0.0.1:$nats_port" DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
export Tokenizer__Model=$SERVED Tokenizer__ModelDirectory=$MODEL_DIR Tokenizer__MaxModelLen=$MAX_MODEL_LEN
export Scheduler__Model=$SERVED Scheduler__MaxNumSeqs=$MAX_NUM_SEQS Scheduler__MaxNumBatchedTokens=$MAX_BATCHED_TOKENS Scheduler__MaxModelLen=$MAX_MODEL_LEN
export Worker__Model=$SERVED Worker__ModelDirectory=$MODEL_DIR Worker__Device=$DEVICE Worker__MaxSeqs=$MAX_NUM_SEQS \
       Worker__MaxBatchTokens=$MAX_BATCHED_TOKENS Worker__MaxModelLen=$MAX_MODEL_LEN Worker__GpuMemoryUtilization=$GPU_MEM_UTIL \
       Worker__KvCacheMemoryMiB=$KV_CACHE_MIB
export Detokenizer__Model=$SERVED Detokenizer__ModelDirectory=$MODEL_DIR
export Gateway__Models__0=$SERVED ASPNETCORE_URLS="http://127.0.0.1:$http_port"
start() {  # start NAME: runs the service from its own folder (its appsettings.json), output to logs/NAME.txt
  local path; path=$(dll "$1")
  (cd "$(dirname "$path")" && Messaging__Name=${1,,} exec dotnet "$path") > "$logs/$1.txt" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
}
say "starting services (model $MODEL_DIR, device $DEVICE, nats :$nats_port, http :$http_port)"
start Tokenizer; start Detokenizer; start Scheduler; start Worker
wait_for "$logs/Tokenizer.txt" "Tokenizer ready" 120 "$pid_Tokenizer"
wait_for "$logs/Detokenizer.txt" "Detokenizer ready" 120 "$pid_Detokenizer"
wait_for "$logs/Scheduler.txt" "KV cache:" 600 "$pid_Scheduler"
start Gateway
wait_for "$logs/Gateway.txt" "Now listening on" 120 "$pid_Gateway"
base="http://127.0.0.1:$http_port"
for _ in $(seq 300); do http_get "$base/ready" > /dev/null && break; sleep 0.2; done
say "ready after $(( $(date +%s) - started )) s: $(grep -h 'KV cache:' "$logs/Scheduler.txt" | tail -1 | sed 's/.*KV cache/KV cache/')"

# 4. Workloads.
loadgen=$(dll LoadGen)
# Each workload has its own seed: equal seeds would send the same random ids again, and the prefix cache would hit.
common=(--base-url "$base" --model "$SERVED" --tokenizer "$MODEL_DIR" --ignore-eos --percentiles 50,90,99
        --floor-model-config "$MODEL_DIR" --floor-gemm-tflops "$FLOOR_GEMM_TFLOPS" --floor-bandwidth-gbs "$FLOOR_BW_GBS")
# LOADGEN_ARGS: more LoadGen arguments for every workload, e.g. sampled requests: "--temperature 0.8 --top-p 0.95".
read -ra loadgen_extra <<< "${LOADGEN_ARGS:-}"
common+=("${loadgen_extra[@]}")
bench() {  # bench NAME ARGS...
  local name=$1; shift
  say "workload $name: $*"
  if ! timeout "$WORKLOAD_TIMEOUT" dotnet "$loadgen" "${common[@]}" --label "$name" --result-file "$OUT/$name.json" "$@" \
       > "$OUT/$name.txt" 2> "$logs/loadgen-$name.txt"; then
    say "workload $name failed or timed out (see $OUT/$name.txt and $logs/loadgen-$name.txt)"
  fi
  grep -E "Successful|Failed requests|duration|Output token throughput|Mean TTFT|Mean TPOT|strict floor" "$OUT/$name.txt" >&2 || true
  summarize
}
metrics() { http_get "$base/metrics" | grep -E '^llmserve:(time_to_first_token|time_per_output_token|e2e_request_latency)_seconds_(sum|count)' > "$1" || true; }
for w in $workloads; do
  case $w in
    a) bench a --seed 1 --dataset-name random --random-input-len "$A_IN" --random-output-len "$A_OUT" --num-prompts "$A_PROMPTS" \
         --request-rate inf --max-concurrency "$A_CONC" --num-warmups "$WARMUPS" ;;
    b) for r in $B_RATES; do
         bench "b-rate$r" --seed "$((100 + ${r%.*}))" --dataset-name random --random-input-len "$A_IN" --random-output-len "$A_OUT" --num-prompts "$B_PROMPTS" \
           --request-rate "$r" --max-concurrency "$A_CONC" --num-warmups "$WARMUPS"
       done ;;
    c) # Warm the server up in a separate run, so that the gateway histograms differenced over c hold c's requests and its
       # one in-process warm-up (which warms LoadGen's own JIT and connection, and is served like the others).
       timeout "$WORKLOAD_TIMEOUT" dotnet "$loadgen" "${common[@]}" --quiet --seed 2 --random-input-len "$C_IN" \
         --random-output-len "$C_OUT" --num-prompts 1 > "$logs/c-warmup.txt" 2>&1 || true
       metrics "$OUT/c-metrics-before.txt"
       hop_flag=(); [ "$C_HOP_TIMINGS" = 1 ] && hop_flag=(--hop-timings)
       bench c --seed 3 --dataset-name random --random-input-len "$C_IN" --random-output-len "$C_OUT" --num-prompts "$C_PROMPTS" \
         --request-rate inf --max-concurrency 1 --num-warmups 1 "${hop_flag[@]}"
       metrics "$OUT/c-metrics-after.txt" ;;
    d) bench d --seed 4 --dataset-name sharegpt-synthetic --num-prompts "$D_PROMPTS" --request-rate inf --num-warmups "$WARMUPS" ;;
    *) say "unknown workload '$w' (a, b, c, d)" ;;
  esac
done
grep -h "Running:" "$logs/Scheduler.txt" | tail -3 > "$OUT/scheduler-status.txt" || true
say "stopping services"
cleanup
fi

# 5. The peer: Hugging Face transformers continuous batching on the same shapes (the GPU is free again).
peer_note="skipped (PEER=0)"
if [ "$PEER" != 0 ]; then
  if python3 -c 'import torch, transformers' 2>/dev/null && { [ "$DEVICE" != cuda ] || python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; }; then
    say "peer: transformers generate_batch"
    if timeout "${PEER_TIMEOUT:-900}" python3 "$here/hf_peer.py" --model "$MODEL_DIR" --out "$OUT/peer.json" --workloads "$workloads" \
         --a "$A_IN,$A_OUT,${PEER_A_PROMPTS:-$A_PROMPTS}" --c "$C_IN,$C_OUT,${PEER_C_PROMPTS:-$C_PROMPTS}" --d "${PEER_D_PROMPTS:-$D_PROMPTS}" \
         --max-batch-tokens "$MAX_BATCHED_TOKENS" > "$logs/peer.txt" 2>&1; then
      peer_note="ran (see peer.json)"
    else
      peer_note="failed or timed out (logs/peer.txt: $(tail -1 "$logs/peer.txt" | cut -c1-200))"
    fi
  else
    peer_note="skipped: python3 with torch + transformers$([ "$DEVICE" = cuda ] && echo ' and CUDA' || true) not found on this machine"
  fi
fi
say "peer: $peer_note"

# 6. The results file (also rewritten after every workload, so a call cut off by a time limit still brings one back).
summarize
say "done in $(( $(date +%s) - started )) s: $OUT/RESULTS.md"

#!/usr/bin/env bash
# Deployment smoke test without a Docker engine: runs each Dockerfile's build-stage RUN steps by hand
# (same dotnet restore/publish commands, /app replaced by a temp dir), starts nats-server with the compose
# nats.conf and its auth, starts every published service with its docker-compose.yml environment (read
# with yq; the NATS host, /models and the gateway port are rewritten to local ones), and sends one chat
# completion through the gateway with curl.
#
#   scripts/deploy-smoke.sh                 # demo model from $LLMSERVE_CACHE/demo-model-v1
#   MODEL_DIR=/path MODEL_NAME=name scripts/deploy-smoke.sh
#   KEEP=1 scripts/deploy-smoke.sh          # keep the temp dir (published apps, logs)
#
# Takes a few minutes (five Release publishes); see deploy/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmserve-deploy-smoke.XXXXXX")
mkdir -p "$WORK/publish" "$WORK/logs"
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -ne 0 ]]; then
    for log in "$WORK"/logs/*.log; do echo "---- $log (tail)"; tail -n 20 "$log" || true; done
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "deploy-smoke: $1 is required" >&2; exit 2; }; }
need dotnet; need curl; need yq; need jq
NATS_SERVER=$(command -v nats-server || ls /usr/sbin/nats-server /usr/bin/nats-server 2>/dev/null | head -n1 || true)
[[ -x "$NATS_SERVER" ]] || { echo "deploy-smoke: nats-server not found" >&2; exit 2; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Settings docker compose would take from .env.
export MODEL_NAME=${MODEL_NAME:-demo}
export MODEL_DIR=${MODEL_DIR:-${LLMSERVE_CACHE:-$HOME/.cache/llmserve}/demo-model-v1}
# One NATS user per service (deploy/compose/nats.conf gives each only its subjects).
for svc in GATEWAY TOKENIZER SCHEDULER WORKER DETOKENIZER; do
  var="NATS_${svc}_PASSWORD"
  export "$var=${!var:-smoke-$svc-$RANDOM$RANDOM}"
done
export API_KEY=${API_KEY:-smoke-key-$RANDOM}
export WORKER_DEVICE=${WORKER_DEVICE:-cpu}
export KV_CACHE_MIB=${KV_CACHE_MIB:-256}
export LOG_FORMAT=simple
if [[ ! -f "$MODEL_DIR/config.json" ]]; then
  echo "deploy-smoke: no model at $MODEL_DIR; writing the demo model (Deploy.Tests DemoModel test)"
  LLMSERVE_CACHE=$(dirname "$MODEL_DIR") dotnet test tests/Deploy.Tests --filter "FullyQualifiedName~DemoModel" >"$WORK/logs/demo-model.log" 2>&1
fi

# 1. The build stage of every Dockerfile: RUN lines with continuations joined, run once each, in order.
build_steps() {
  awk '/^FROM /{stage++}
       { line=$0; while (line ~ /\\$/) { sub(/\\$/, "", line); if ((getline next_line) <= 0) break; line = line next_line }
         if (stage == 1 && line ~ /^RUN /) { sub(/^RUN /, "", line); print line } }' "$1"
}
declare -A done_steps=()
SERVICES=(Gateway Tokenizer Scheduler Worker Detokenizer)
for svc in "${SERVICES[@]}"; do
  while IFS= read -r step; do
    step=${step//-o \/app/-o $WORK/publish/$svc}
    [[ -n "${done_steps[$step]:-}" ]] && continue
    done_steps[$step]=1
    echo "+ $step"
    bash -c "$step" >>"$WORK/logs/build.log" 2>&1 || { echo "deploy-smoke: build step failed: $step" >&2; exit 1; }
  done < <(build_steps "services/$svc/Dockerfile")
  [[ -f "$WORK/publish/$svc/LlmServe.$svc.dll" ]] || { echo "deploy-smoke: $svc publish produced no LlmServe.$svc.dll" >&2; exit 1; }
done

# 2. NATS with the compose config (per-service users from NATS_*_PASSWORD), on free ports.
NATS_PORT=$(free_port); NATS_MONITOR=$(free_port)
"$NATS_SERVER" -c deploy/compose/nats.conf -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR" >"$WORK/logs/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$NATS_MONITOR/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$NATS_MONITOR/healthz" >/dev/null
# Auth is on: an anonymous client is refused.
if curl -fsS "http://127.0.0.1:$NATS_MONITOR/varz" | grep -q '"auth_required": *true'; then echo "nats: auth required (ok)"; else echo "deploy-smoke: nats.conf did not enable auth" >&2; exit 1; fi

# 3. Each service with its compose environment, rewritten for local processes.
GATEWAY_PORT=$(free_port)
start_service() {
  local svc=$1 name=$2
  local -a env_args=()
  while IFS= read -r pair; do
    local key=${pair%%=*} raw=${pair#*=} value
    eval "value=\"$raw\""
    value=${value//nats:\/\/nats:4222/nats://127.0.0.1:$NATS_PORT}
    [[ "$value" == /models ]] && value=$MODEL_DIR
    [[ "$key" == ASPNETCORE_HTTP_PORTS ]] && value=$GATEWAY_PORT
    env_args+=("$key=$value")
  done < <(yq -r ".services.\"$name\".environment | to_entries[] | \"\(.key)=\(.value)\"" docker-compose.yml)
  (cd "$WORK/publish/$svc" && exec env "${env_args[@]}" TMPDIR="$WORK" dotnet "LlmServe.$svc.dll") >"$WORK/logs/$name.log" 2>&1 &
  PIDS+=($!)
  echo "started $name (pid $!)"
}
start_service Detokenizer detokenizer
start_service Worker worker
start_service Scheduler scheduler
start_service Tokenizer tokenizer
start_service Gateway gateway

# 4. Ready = every served model has a scheduler with workers; then one chat completion end to end.
ready=0
for _ in $(seq 120); do
  if curl -fsS "http://127.0.0.1:$GATEWAY_PORT/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[[ $ready == 1 ]] || { echo "deploy-smoke: gateway never became ready" >&2; curl -sS "http://127.0.0.1:$GATEWAY_PORT/ready" || true; exit 1; }
echo "gateway ready on :$GATEWAY_PORT"

status=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/v1/models")
[[ "$status" == 401 ]] || { echo "deploy-smoke: /v1/models without a key answered $status, expected 401" >&2; exit 1; }

response=$(curl -fsS "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" \
  -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"model\":\"$MODEL_NAME\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],\"max_tokens\":8,\"temperature\":0}")
echo "chat completion: $response"
echo "$response" | grep -q '"choices"' || { echo "deploy-smoke: no choices in the response" >&2; exit 1; }
echo "$response" | grep -q '"completion_tokens": *[1-9]' || { echo "deploy-smoke: no tokens generated" >&2; exit 1; }

# The autoscale overlay's KEDA query reads this series.
curl -fsS "http://127.0.0.1:$GATEWAY_PORT/metrics" | grep -q '^# TYPE llmserve:gateway_requests_in_flight ' \
  || { echo "deploy-smoke: /metrics lacks llmserve:gateway_requests_in_flight" >&2; exit 1; }
# The tokenizer and detokenizer heartbeats pass the NATS permissions and reach the console's health table.
heartbeats=0
for _ in $(seq 60); do
  stats=$(curl -fsS "http://127.0.0.1:$GATEWAY_PORT/console/api/stats" || true)
  if jq -e '[.services[] | select(.healthy) | .service] | (index("tokenizer") != null) and (index("detokenizer") != null)' <<<"$stats" >/dev/null 2>&1; then
    heartbeats=1; break
  fi
  sleep 0.5
done
[[ $heartbeats == 1 ]] || { echo "deploy-smoke: /console/api/stats lacks a healthy tokenizer and detokenizer: $stats" >&2; exit 1; }
echo "deploy-smoke: OK"

#!/usr/bin/env bash
# Scheduler bench: step planning cost at 256 decoding sequences (no bus), then the whole scheduler service
# per step over InProcessBus and over a real nats-server (started here on a free port) with a no-op worker.
#   bench/scheduler/run.sh [--sequences 256] [--steps 2000] [--seconds 5] [--async both|on|off]
# Set SCHEDULER_BENCH_DLL to a published LlmServe.SchedulerBench.dll to skip the build (device runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
nats_bin=${NATS_SERVER:-$(command -v nats-server || true)}
if [ -z "$nats_bin" ]; then
  echo "nats-server not found (apt-get install -y nats-server)" >&2; exit 1
fi
dll=${SCHEDULER_BENCH_DLL:-}
if [ -z "$dll" ]; then
  dotnet build -c Release bench/SchedulerBench -nologo -v q >/dev/null
  dll=bench/SchedulerBench/bin/Release/net10.0/LlmServe.SchedulerBench.dll
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$nats_bin" -a 127.0.0.1 -p "$port" >/tmp/scheduler-bench-nats.log 2>&1 &
nats_pid=$!
trap 'kill "$nats_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(hostname)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)  nats-server: $("$nats_bin" --version)"
echo "command: bench/scheduler/run.sh $*"
echo
dotnet "$dll" --nats "nats://127.0.0.1:$port" "$@"

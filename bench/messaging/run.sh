#!/usr/bin/env bash
# Messaging benchmark: our NatsBus vs the official NATS C client (libnats), same nats-server, same run.
# usage: bench/messaging/run.sh [rounds] [n16] [n128] [n4k] [pubsub] [requests]
# Prints one table; each cell is the median over the rounds (the two clients alternate within a round).
# Overrides for machines without the Debian packages: NATS_SERVER, NATS_CFLAGS/NATS_LDFLAGS (libnats headers
# and library), DOTNET (runtime host) and BENCH_DLL (a prebuilt MessagingBench).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ROUNDS=${1:-3}
N16=${2:-2000000}
N128=${3:-2000000}
N4K=${4:-300000}
NPUBSUB=${5:-1000000}
NREQ=${6:-20000}
WORK=${BENCH_WORK:-$(mktemp -d)}
PORT=${BENCH_PORT:-14222}
URL="nats://127.0.0.1:${PORT}"
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
DOTNET=${DOTNET:-dotnet}

cc -O2 -Wall ${NATS_CFLAGS:-} -o "$WORK/cbench" bench/messaging/cbench.c ${NATS_LDFLAGS:-} -lnats -lpthread
if [[ ! -f "${BENCH_DLL:-}" ]]; then
  dotnet build -c Release bench/MessagingBench -o "$WORK/dotnet" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  BENCH_DLL="$WORK/dotnet/LlmServe.MessagingBench.dll"
fi

"$NATS_SERVER" -a 127.0.0.1 -p "$PORT" >"$WORK/nats-server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
  "$WORK/cbench" "$URL" "$N16" "$N128" "$N4K" "$NPUBSUB" "$NREQ" | grep '^RESULT' >>"$WORK/results.txt"
  "$DOTNET" "$BENCH_DLL" "$URL" "$N16" "$N128" "$N4K" "$NPUBSUB" "$NREQ" | grep '^RESULT' >>"$WORK/results.txt"
done

LIBNATS=$(printf '#include <nats/version.h>\nNATS_VERSION_STRING\n' | cc ${NATS_CFLAGS:-} -E -P - | tail -1 | tr -d '"')
echo "nats-server $("$NATS_SERVER" --version | awk '{print $2}'), libnats ${LIBNATS}, $(nproc) cores, ${ROUNDS} rounds (median)"
awk '
  function field(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
  function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((n + 1) / 2)]
  }
  {
    key = field("test") " " field("size")
    impl = field("impl")
    if (!(key in seen)) { seen[key] = 1; order[++count] = key }
    if (field("test") == "req") { a[key, impl] = a[key, impl] " " field("p50_us"); b[key, impl] = b[key, impl] " " field("p99_us") }
    else { a[key, impl] = a[key, impl] " " field("msgs_per_s"); b[key, impl] = b[key, impl] " " field("mb_per_s") }
  }
  END {
    printf "| %-22s | %-28s | %-28s | %-16s |\n", "test", "C client (libnats)", "ours (NatsBus)", "ours / C"
    printf "|%s|%s|%s|%s|\n", "------------------------", "------------------------------", "------------------------------", "------------------"
    for (i = 1; i <= count; i++) {
      key = order[i]; split(key, parts, " ")
      ca = median(a[key, "c"]); cb = median(b[key, "c"]); oa = median(a[key, "ours"]); ob = median(b[key, "ours"])
      if (parts[1] == "req") {
        printf "| %-22s | %-28s | %-28s | %-16s |\n", "request/reply " parts[2] " B", sprintf("p50 %.1f us, p99 %.1f us", ca, cb), sprintf("p50 %.1f us, p99 %.1f us", oa, ob), sprintf("p50 x%.2f", oa / ca)
        if ((key, "c-asap") in a) {
          xa = median(a[key, "c-asap"]); xb = median(b[key, "c-asap"])
          printf "| %-22s | %-28s | %-28s | %-16s |\n", "  vs C with send_asap", sprintf("p50 %.1f us, p99 %.1f us", xa, xb), sprintf("p50 %.1f us, p99 %.1f us", oa, ob), sprintf("p50 x%.2f", oa / xa)
        }
      } else {
        name = (parts[1] == "pub" ? "publish " : "pub->sub ") parts[2] " B"
        printf "| %-22s | %-28s | %-28s | %-16s |\n", name, sprintf("%.0f msg/s, %.1f MB/s", ca, cb), sprintf("%.0f msg/s, %.1f MB/s", oa, ob), sprintf("x%.2f", oa / ca)
      }
    }
  }' "$WORK/results.txt"

#!/usr/bin/env bash
# Soak: mixed streaming and non-streaming load on every service in its own process over a real nats-server, no
# faults, for 10 minutes (or $1 seconds). Prints requests, failures and each process's resident memory (RSS from
# /proc) after the warm-up, at the end and at its peak. The CI variant of the same test runs 75 s.
#   bench/soak/run.sh          # 600 s
#   bench/soak/run.sh 1800     # 30 min
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
dotnet build tests/Reliability.Tests -c Release --nologo -v quiet
LLMSERVE_SOAK_SECONDS=$seconds LLMSERVE_RELIABILITY_RESULTS=$results \
  dotnet test tests/Reliability.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Soak" || status=$?
echo
echo "## Soak, ${seconds} s ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
sed -E 's/^[0-9T:.Z-]+ \[soak\] //' "$results"
exit "${status:-0}"

#!/usr/bin/env bash
# Fuzzing at depth: every bus contract decoder, the gateway's request body reader and parsers, and every service's
# handlers on their subjects, with $1 cases per target (default 10,000; CI runs 300). Seeded: LLMSERVE_FUZZ_SEED=n
# replays another seed; a failure names the seed and the case.
#   bench/fuzz/run.sh            # 10,000 cases per target
#   LLMSERVE_FUZZ_SEED=7 bench/fuzz/run.sh 50000
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-10000}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
dotnet build tests/Reliability.Tests -c Release --nologo -v quiet
start=$(date +%s)
LLMSERVE_FUZZ_CASES=$cases LLMSERVE_RELIABILITY_RESULTS=$results \
  dotnet test tests/Reliability.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Fuzzing" || status=$?
echo
echo "## Fuzz: ${cases} cases per target, seed ${LLMSERVE_FUZZ_SEED:-20261125}, $(( $(date +%s) - start )) s"
sed -E 's/^[0-9T:.Z-]+ //' "$results"
exit "${status:-0}"

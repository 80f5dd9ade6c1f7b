#!/usr/bin/env bash
# The README's test command: install prerequisites, then run every test in the solution.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/test-setup.sh
export LLMSERVE_CACHE="${LLMSERVE_CACHE:-$HOME/.cache/llmserve}"
set +e
dotnet test Services.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee /tmp/llmserve-test.log
status=${PIPESTATUS[0]}
set -e
# One plain summary line that CI reads, summed over every test assembly.
passed=$(grep -aEo '^ +Passed: +[0-9]+' /tmp/llmserve-test.log | awk '{s+=$2} END {print s+0}')
failed=$(grep -aEo '^ +Failed: +[0-9]+' /tmp/llmserve-test.log | awk '{s+=$2} END {print s+0}')
echo "$passed passed, $failed failed"
exit "$status"

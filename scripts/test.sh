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
# The deployment smoke test: each Dockerfile's publish steps by hand, then one request through the published
# services over an authenticated nats-server (deploy/README.md). Counted as one test in the summary.
smoke_passed=0; smoke_failed=0
if bash scripts/deploy-smoke.sh > /tmp/llmserve-deploy-smoke.log 2>&1; then
  smoke_passed=1; echo "deploy smoke test: passed"
else
  smoke_failed=1; status=1; echo "deploy smoke test: FAILED"; tail -n 60 /tmp/llmserve-deploy-smoke.log
fi
# One plain summary line that CI reads, summed over every test assembly.
passed=$(awk '/^ +Passed: +[0-9]+ *$/ {s+=$2} END {print s+0}' /tmp/llmserve-test.log)
failed=$(awk '/^ +Failed: +[0-9]+ *$/ {s+=$2} END {print s+0}' /tmp/llmserve-test.log)
# CI shows only the tail of this output: name each failed test (and its first error line) last.
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep -A2 -E '^ +Failed [A-Za-z]' /tmp/llmserve-test.log | grep -v '^ *Error Message:' | grep -v '^--$' | head -n 60
fi
echo "$((passed + smoke_passed)) passed, $((failed + smoke_failed)) failed"
exit "$status"

#!/usr/bin/env bash
# On the GPU machine, after `bash bench/cuda/run.sh` on the dev machine: CudaCheck with the card's power, clocks and
# utilization logged once a second beside it (nvidia-smi dmon), to see whether clocks drop under sustained load (a
# whole step's ops ran 12-17% slower than the same kernels alone in run 35: bench/cuda/KERNELS.md, session 9).
#   run(command="bash .device/on-device.sh 'bash bench/cuda/device-run.sh [CudaCheck arguments]'", carry=[".device"])
# Writes $OUT/cudacheck.txt and $OUT/dmon.txt; prints the failures, the check count and the ceilings.
set -euo pipefail
export LLMSERVE_CACHE=${LLMSERVE_CACHE:-/tmp/llmc}
out=${OUT:-/tmp/cudacheck-out}
mkdir -p "$out"
dmon_pid=""
if command -v nvidia-smi > /dev/null; then
  nvidia-smi dmon -s pucm -d 1 > "$out/dmon.txt" 2>&1 &
  dmon_pid=$!
fi
rc=0
timeout "${CUDACHECK_TIMEOUT:-300}" dotnet .device/app/CudaCheck/LlmServe.CudaCheck.dll "$@" > "$out/cudacheck.txt" 2>&1 || rc=$?
if [ -n "$dmon_pid" ]; then kill "$dmon_pid" 2> /dev/null || true; fi
grep -E "^FAIL|^checks:|copy bandwidth|GEMM (sustained )?8192" "$out/cudacheck.txt" | head -20 || true
echo "CudaCheck exit $rc; clocks and power: $out/dmon.txt"
exit "$rc"

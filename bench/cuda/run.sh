#!/usr/bin/env bash
# Builds the GPU check app into .device/ and prints the device-tool call that runs it.
# Run from the repository root on the dev machine (no GPU needed here):
#   bash bench/cuda/run.sh
# then, with the device tool (or `bash bench/cuda/device-run.sh` there, which also logs clocks and power):
#   run(command="bash .device/on-device.sh 'export LLMSERVE_CACHE=/tmp/llmc; dotnet .device/app/CudaCheck/LlmServe.CudaCheck.dll > $OUT/log.txt 2>&1'", carry=[".device"])
# Arguments of the app: [kernels] [backend FIXTURES_DIR] [bench] (default: all), or `compile [sm_90]` to run NVRTC only
# (works without a GPU where libnvrtc is present: LLMSERVE_LIBNVRTC=/path/to/libnvrtc.so).
set -euo pipefail
../shared/device/pack.sh bench/CudaCheck/CudaCheck.csproj

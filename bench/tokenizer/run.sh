#!/usr/bin/env bash
# Tokenizer encode throughput: ours vs Hugging Face tokenizers (node), single thread, same ~5 MB corpus.
# Prerequisite: scripts/test-setup.sh (tokenizer files + npm tokenizers in $LLMSERVE_CACHE).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/TokenizerBench -- "$@"

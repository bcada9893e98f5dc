#!/usr/bin/env bash
# Builds Tidemark in release mode and prints what the first load of the Backups tab transfers
# (HTML, script, styles, wasm, data), compressed as a browser receives it, against 350 kB.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo leptos build --release --precompress --split --cargo-locked
TIDEMARK_BIN="$PWD/target/release/tidemark" TIDEMARK_SITE_ROOT="$PWD/target/site" \
  node end2end/weight.mjs

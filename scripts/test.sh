#!/usr/bin/env bash
# Installs whatever is missing, then runs every check: formatting, lints, unit and integration tests
# against real PostgreSQL and pgBackRest, and browser tests in Chromium. One debug build serves all stages.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
timings=()
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  printf '\033[1m==> %s\033[0m\n' "$name"
  "$@"
  timings+=("$(printf '%-28s %4ss' "$name" $(( $(date +%s) - t0 )))")
}

step "set-up" ./scripts/setup.sh
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step "format" cargo fmt --all -- --check
step "lints (server)" cargo clippy --locked -p tidemark-types -p tidemark-core -p tidemark-app -p tidemark-server -p tidemark-scalingo-fake --all-targets -- -D warnings
step "lints (browser)" cargo clippy --locked -p tidemark-frontend --target wasm32-unknown-unknown --target-dir target/front -- -D warnings
step "build (frontend)" cargo leptos build --frontend-only --split --cargo-locked
# The server's integration tests make cargo build target/debug/tidemark, which the browser tests run.
step "unit + integration tests" cargo test --locked -p tidemark-types -p tidemark-core -p tidemark-app -p tidemark-server -p tidemark-scalingo-fake
# The browser tests start the Scalingo API test server on its own.
step "build (Scalingo test server)" cargo build --locked -p tidemark-scalingo-fake
step "browser tests" env TIDEMARK_BIN="$PWD/target/debug/tidemark" TIDEMARK_SITE_ROOT="$PWD/target/site" \
  node --test --test-concurrency=1 end2end/tests/
step "API fuzzing" env TIDEMARK_BIN="$PWD/target/debug/tidemark" TIDEMARK_SITE_ROOT="$PWD/target/site" \
  node end2end/fuzz/run.mjs

echo
echo "Timings:"
printf '  %s\n' "${timings[@]}"
echo "  total                        $(( $(date +%s) - started ))s"
echo "Screenshots: end2end/artifacts/"

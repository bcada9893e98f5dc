#!/usr/bin/env bash
# Installs whatever is missing, builds Tidemark in release mode, and runs the dashboard on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

echo "==> Building Tidemark (release)"
cargo leptos build --release --precompress --split

# PostgreSQL runs as the 'postgres' user when Tidemark runs as root; that user must be able to reach
# the data directory. A checkout under /root is not reachable, so use /var/lib/tidemark there.
if [ "$(id -u)" -eq 0 ] && [ -z "${TIDEMARK_DATA_DIR:-}" ] && ! runuser -u postgres -- test -x "$PWD"; then
  export TIDEMARK_DATA_DIR=/var/lib/tidemark
  echo "==> $PWD is private to root; keeping data in $TIDEMARK_DATA_DIR"
fi

export TIDEMARK_SITE_ROOT="${TIDEMARK_SITE_ROOT:-$PWD/target/site}"
exec ./target/release/tidemark

#!/usr/bin/env bash
# Installs whatever Tidemark needs that is missing on a Debian 12 machine; a second run skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# Must equal the wasm-bindgen crate pinned in Cargo.toml, or hydration breaks.
WASM_BINDGEN_VERSION=$(grep -E '^wasm-bindgen *= *"=' Cargo.toml | sed -E 's/.*"=([0-9.]+)".*/\1/')

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: PostgreSQL 15 server and client, pgBackRest, Chromium for browser tests, build tools.
apt_missing=()
for pkg in postgresql-15 postgresql-client-15 pgbackrest chromium ca-certificates curl pkg-config build-essential nodejs npm; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from outside Debian's packages; accept working commands.
    case "$pkg" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    apt_missing+=("$pkg")
  fi
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${apt_missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

# Rust: the wasm target for the hydration bundle.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos, pinned, built without its download feature (no network beyond the registries).
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (takes about 12 minutes the first time)"
  cargo install cargo-leptos@"$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# wasm-bindgen CLI at exactly the crate's version.
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli@"$WASM_BINDGEN_VERSION"
fi

# npm packages: wasm-opt (binaryen) and playwright-core for the browser tests, locked in end2end/.
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -d end2end/node_modules/playwright-core ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "Installing npm packages in end2end/"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (from PyPI, pinned) in its own virtual environment, for fuzzing the API.
SCHEMATHESIS_VERSION=4.32.5
if ! .tools/fuzz/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "Installing Debian packages: python3-venv"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
  fi
  say "Installing schemathesis $SCHEMATHESIS_VERSION"
  rm -rf .tools/fuzz
  python3 -m venv .tools/fuzz
  .tools/fuzz/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

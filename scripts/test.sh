#!/usr/bin/env bash
# Runs everything CI runs: format check, clippy (warnings denied) and every test in the workspace.
# Starts local PostgreSQL and Redis when they are installed but down; tests that need them read
# SHARD_TEST_PG (libpq URL) and SHARD_TEST_REDIS, and under CI=true they fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

export SHARD_TEST_PG="${SHARD_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
export SHARD_TEST_REDIS="${SHARD_TEST_REDIS:-redis://127.0.0.1:6379}"

start_services() {
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
            echo "test.sh: starting PostgreSQL"
            pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
        fi
    fi
    if command -v redis-server >/dev/null 2>&1; then
        if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
            echo "test.sh: starting Redis"
            redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
        fi
    fi
}

# The browser tests (tools/tests/browser.rs) drive the system Chromium with playwright-core from
# tools/web/tests/node_modules; without them they skip (and fail under CI=true).
prepare_browser_tests() {
    if ! command -v chromium >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "test.sh: installing chromium"
            apt-get update && apt-get install -y chromium
        else
            echo "test.sh: the browser tests need Chromium: run 'apt-get install -y chromium' as root"
        fi
    fi
    local dir=tools/web/tests
    if ! command -v npm >/dev/null 2>&1; then
        echo "test.sh: the browser tests need Node 20 and npm"
    elif [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        echo "test.sh: npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund)
    fi
}

start_services
prepare_browser_tests

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

if command -v node >/dev/null 2>&1; then
    echo "== node --test (the web pages' unit tests)"
    node --test tools/web/tests/unit/
fi

echo "== cargo test"
cargo test --workspace --locked

echo "test.sh: all green"

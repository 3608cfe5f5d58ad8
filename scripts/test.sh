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

start_services

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "test.sh: all green"

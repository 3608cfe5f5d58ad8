#!/usr/bin/env bash
# Macro benchmark of hand-offs (a character moved during play to a map another shard simulates,
# protocol.md Redirect 0x85): two release shards on loopback sharing one new Postgres database and
# one Redis prefix, A simulating map 0 and B map 16. The bot harness logs CLIENTS clients in at A;
# once they are all in, A's admin endpoint hands them off to map 16 (on B), then B's hands them
# back to map 0 (on A), ROUNDS times. Prints the harness's hand-off count and latency (Redirect
# received → Welcome at the new shard) and each shard's `shard_handoff*` metrics.
#
#   scripts/bench-handoff.sh                    # 1,000 clients, 3 rounds, all moved at once
#   CLIENTS=200 ROUNDS=5 scripts/bench-handoff.sh
#   WAVE=50 GAP=0.5 scripts/bench-handoff.sh    # the same 1,000 moved in waves of 50 every 0.5 s
#
# WAVE (default: CLIENTS, one call per direction) moves the clients in calls of WAVE players GAP
# seconds apart, a steady stream of hand-offs instead of one burst. NO_BUILD=1 skips the build.
#
# Needs curl, psql (Postgres at PG_URL, trust) and redis-cli (Redis at REDIS_URL). Uses ports
# 17781–17784 unless A_LISTEN/A_ADMIN/B_LISTEN/B_ADMIN say otherwise. The database, the Redis keys
# and both shards are removed on exit. ADMIN_TOKEN (if set) is sent as the admin bearer token
# (only needed when the admin addresses are not loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-1000}
ROUNDS=${ROUNDS:-3}
# Seconds to wait after each hand-off call for the clients to arrive (and the harness settles).
SETTLE=${SETTLE:-10}
WAVE=${WAVE:-$CLIENTS}
GAP=${GAP:-0.5}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
A_LISTEN=${A_LISTEN:-127.0.0.1:17781}
A_ADMIN=${A_ADMIN:-127.0.0.1:17782}
B_LISTEN=${B_LISTEN:-127.0.0.1:17783}
B_ADMIN=${B_ADMIN:-127.0.0.1:17784}
ADMIN_TOKEN=${ADMIN_TOKEN:-}
# The harness's duration: long enough for every round; it is stopped (SIGINT) after the last.
SECS=${SECS:-$((300 + ROUNDS * 2 * (SETTLE + 5)))}

RUN_ID="bench_handoff_$$_$(date +%s)"
DB="$RUN_ID"
PREFIX="$RUN_ID:"
OUT=$(mktemp -d)
A_PID=""
B_PID=""
BOTS_PID=""

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  for pid in $BOTS_PID $A_PID $B_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $BOTS_PID $A_PID $B_PID; do
    wait "$pid" 2>/dev/null || true
  done
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" 2>/dev/null \
    | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null 2>&1 || true
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

[[ -n "${NO_BUILD:-}" ]] || cargo build --release --locked -p tools --bins >&2
psql "$PG_URL/postgres" -qc "CREATE DATABASE \"$DB\"" >&2

# start_shard NAME MAPS LISTEN ADMIN: a Postgres + Redis shard in the background (PID in $STARTED).
start_shard() {
  RUST_LOG=${RUST_LOG:-warn} ./target/release/shard --shard-id "$1" --maps "$2" --bots 0 \
    --listen "$3" --admin "$4" --database-url "$PG_URL/$DB" --redis-url "$REDIS_URL" \
    --redis-prefix "$PREFIX" --max-conns-per-ip $((CLIENTS + 16)) 2>"$OUT/shard-$1.log" &
  STARTED=$!
}

# wait_owned ADMIN PID NAME: waits until the shard owns its map (shard_maps_owned ≥ 1).
wait_owned() {
  for _ in $(seq 1 240); do
    owned=$(curl -fsS "http://$1/metrics" 2>/dev/null | awk '$1 == "shard_maps_owned" {print $2}' || true)
    [[ -n "$owned" ]] && awk -v n="$owned" 'BEGIN { exit !(n >= 1) }' && return 0
    kill -0 "$2" 2>/dev/null || { cat "$OUT/shard-$3.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "shard $3 never claimed its map" >&2
  exit 1
}

# handoff ADMIN TO [COUNT]: asks a shard to move up to COUNT (default CLIENTS) online players
# to map TO.
handoff() {
  local auth=()
  [[ -n "$ADMIN_TOKEN" ]] && auth=(-H "Authorization: Bearer $ADMIN_TOKEN")
  # 409 until the shard's directory knows the target's owner (refreshed every heartbeat).
  for _ in $(seq 1 40); do
    if curl -fsS -X POST "${auth[@]}" "http://$1/admin/handoff?to=$2&count=${3:-$CLIENTS}" 2>/dev/null; then
      echo
      return
    fi
    sleep 0.5
  done
  echo "(refused)"
}

# online ADMIN: players online on a shard (its /health "players", 0 when absent).
online() {
  curl -fsS "http://$1/health" 2>/dev/null | sed -n 's/.*"players":\([0-9]*\).*/\1/p' | grep . || echo 0
}

start_shard a 0 "$A_LISTEN" "$A_ADMIN"
A_PID=$STARTED
wait_owned "$A_ADMIN" "$A_PID" a
start_shard b 16 "$B_LISTEN" "$B_ADMIN"
B_PID=$STARTED
wait_owned "$B_ADMIN" "$B_PID" b
echo "shards ready: A ($A_LISTEN, map 0), B ($B_LISTEN, map 16)" >&2

# The database is new every run, so the clients need no accounts file (--accounts none).
./target/release/bots --server "ws://$A_LISTEN" --clients "$CLIENTS" --duration "$SECS" --json \
  --accounts none >"$OUT/bots.json" 2>"$OUT/bots.log" &
BOTS_PID=$!

echo "waiting for $CLIENTS clients on A..." >&2
for _ in $(seq 1 600); do
  [[ "$(online "$A_ADMIN")" -ge "$CLIENTS" ]] && break
  kill -0 "$BOTS_PID" 2>/dev/null || { cat "$OUT/bots.log" >&2; exit 1; }
  sleep 0.5
done
echo "clients in: A has $(online "$A_ADMIN") players" >&2

# move ADMIN TO: moves every client to map TO, in calls of WAVE players GAP seconds apart.
move() {
  local moved=0
  while ((moved < CLIENTS)); do
    handoff "$1" "$2" "$WAVE" >/dev/null
    moved=$((moved + WAVE))
    ((moved < CLIENTS)) && sleep "$GAP"
  done
  echo "$moved asked"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: A → map 16: $(move "$A_ADMIN" 16)" >&2
  sleep "$SETTLE"
  echo "round $round: B → map 0: $(move "$B_ADMIN" 0)" >&2
  sleep "$SETTLE"
done

curl -fsS "http://$A_ADMIN/metrics" >"$OUT/metrics-a.txt"
curl -fsS "http://$B_ADMIN/metrics" >"$OUT/metrics-b.txt"
# The harness stops on SIGINT (before its duration if the rounds were quicker) and reports.
BOTS_EXIT=0
kill -INT "$BOTS_PID" 2>/dev/null || true
wait "$BOTS_PID" || BOTS_EXIT=$?
BOTS_PID=""

json1() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$OUT/bots.json"; }
json() { sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.e+-]*\).*/\1/p" "$OUT/bots.json"; }
json_obj() { sed -n "s/.*\"$1\":\({[^}]*}\).*/\1/p" "$OUT/bots.json"; }
round() { awk -v v="$1" -v d="$2" 'BEGIN { if (v == "") print "?"; else printf "%.*f", d, v }'; }

cat <<EOF
bench-handoff: $CLIENTS clients, $ROUNDS rounds (A map 0 ⇄ B map 16), waves of $WAVE every ${GAP}s, $(nproc) cores
  hand-offs            $(json1 handoffs) completed (expected up to $((CLIENTS * ROUNDS * 2))), failed $(json_obj handoffs_failed)
  hand-off latency     p50 $(round "$(json handoff_latency_ms p50)" 1) ms   p99 $(round "$(json handoff_latency_ms p99)" 1) ms   max $(round "$(json handoff_latency_ms max)" 1) ms
  connected / errors   $(json1 connected) / $(json1 errors) $(json_obj error_kinds)   (bots exit $BOTS_EXIT)
  shard A metrics
$(grep '^shard_handoff' "$OUT/metrics-a.txt" | sed 's/^/    /' || echo "    (no shard_handoff metrics)")
  shard B metrics
$(grep '^shard_handoff' "$OUT/metrics-b.txt" | sed 's/^/    /' || echo "    (no shard_handoff metrics)")
EOF
echo "full report: $OUT/bots.json, metrics: $OUT/metrics-{a,b}.txt, logs: $OUT/*.log" >&2
exit "$BOTS_EXIT"

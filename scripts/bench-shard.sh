#!/usr/bin/env bash
# Macro benchmark: a release shard with server-side bots, loaded by the bot harness over real
# WebSockets on loopback, both processes on this machine. Prints tick p50/p99 (from /metrics),
# downstream bandwidth per client, input→ack latency and the shard's peak RSS.
#
#   scripts/bench-shard.sh                 # 5,000 bots + 1,000 clients for 60 s
#   BOTS=500 CLIENTS=100 SECS=15 scripts/bench-shard.sh
#   TICK_PRIORITY= scripts/bench-shard.sh    # tick thread and helpers in the normal class
#   MODE=gameplay scripts/bench-shard.sh     # the clients also handle items (bots --mode gameplay)
#   MODE=survival scripts/bench-shard.sh     # the clients play the survival loop (bots --mode survival)
#
# MODE is the harness's `--mode`: `move` (the default) walks; `gameplay` also moves stacks between
# inventory and bag, drops and picks up piles, and places, fills, empties and picks up a box, one
# item action per client every 1–3 s; the report then adds item actions sent, done and refused
# (by error code), lost races, interact orders that ended without effect, unanswered actions, and
# the item transactions the store committed (the first few odd cases are described under
# `item_samples` in the full JSON report); `survival` crafts a club, equips it, eats when hungry,
# chats and attacks characters nearby for a few seconds, one action per client every 1–3 s
# (MIX, if set, is passed as `--mix`, e.g. MIX=attack=50); the report then adds those actions
# sent, done and refused (by error code), ended without effect and unanswered, the CraftProgress
# states seen, damage dealt, deaths, respawns and chat lines heard.
#
# By default the tick thread and its rayon helper run in the real-time class (SCHED_FIFO,
# priority TICK_PRIORITY=10), as README recommends where the shard shares its cores: it needs root
# or CAP_SYS_NICE, and where that is refused the shard logs it, runs in the normal class, and
# the report says "tick class: normal".
#
# Needs curl. Uses ports 17777/17778 unless LISTEN/ADMIN say otherwise; data goes to a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

BOTS=${BOTS:-5000}
CLIENTS=${CLIENTS:-1000}
SECS=${SECS:-60}
LISTEN=${LISTEN:-127.0.0.1:17777}
ADMIN=${ADMIN:-127.0.0.1:17778}
# Ticks over this many ms are counted and logged with where their time went (the p99 target).
export SHARD_SLOW_TICK_MS=${SHARD_SLOW_TICK_MS:-10}
TICK_PRIORITY=${TICK_PRIORITY-10}
MODE=${MODE:-move}
MIX=${MIX:-}
[[ -n "$TICK_PRIORITY" ]] && export SHARD_TICK_PRIORITY=$TICK_PRIORITY

cargo build --release --locked -p tools --bins >&2
DATA=$(mktemp -d)
OUT=$(mktemp -d)
trap 'kill -TERM $SHARD_PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

RUST_LOG=${RUST_LOG:-warn} ./target/release/shard --bots "$BOTS" --data-dir "$DATA" \
  --listen "$LISTEN" --admin "$ADMIN" --max-conns-per-ip $((CLIENTS + 16)) 2>"$OUT/shard.log" &
SHARD_PID=$!

echo "waiting for the shard and its $BOTS bots..." >&2
for _ in $(seq 1 600); do
  health=$(curl -fsS "http://$ADMIN/health" 2>/dev/null || true)
  bots=$(sed -n 's/.*"bots":\([0-9]*\).*/\1/p' <<<"$health")
  [[ -n "$bots" && "$bots" -ge "$BOTS" ]] && break
  kill -0 $SHARD_PID 2>/dev/null || { cat "$OUT/shard.log" >&2; exit 1; }
  sleep 0.5
done
echo "shard ready: $health" >&2

STAT0=$(head -1 /proc/stat)
# bots exits 3 when fewer clients connected than asked (it says why on stderr): still report.
# The database is new every run, so the clients need no accounts file (--accounts none).
BOTS_EXIT=0
./target/release/bots --server "ws://$LISTEN" --clients "$CLIENTS" --duration "$SECS" --json \
  --accounts none --mode "$MODE" ${MIX:+--mix "$MIX"} >"$OUT/bots.json" || BOTS_EXIT=$?
STAT1=$(head -1 /proc/stat)
curl -fsS "http://$ADMIN/metrics" >"$OUT/metrics.txt"
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SHARD_PID/status")

kill -TERM $SHARD_PID
wait $SHARD_PID && EXIT=0 || EXIT=$?

# Share of CPU time during the run (both cores): stolen by the hypervisor for other guests, and
# spent in interrupts (mostly loopback TCP). Neither shows as the tick thread being preempted.
cpu_share() {
  awk -v a="$STAT0" -v b="$STAT1" -v col="$1" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); total = 0
    for (i = 2; i <= 9; i++) total += y[i] - x[i]
    split(col, c, ","); part = 0; for (k in c) part += y[c[k]] - x[c[k]]
    printf "%.1f", (total > 0 ? 100 * part / total : 0) }'
}
metric() { awk -v k="$1" '$1 == k {printf "%.2f", $2 * 1000}' "$OUT/metrics.txt"; }
json() { sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.e+-]*\).*/\1/p" "$OUT/bots.json"; }
json1() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$OUT/bots.json"; }
# The JSON object under key $1 (one level of nesting), e.g. {"110":3}.
json_obj() { sed -n "s/.*\"$1\":\({[^}]*}\).*/\1/p" "$OUT/bots.json"; }
# The sum of every "$1":n in the report (e.g. unanswered over the item action kinds).
json_sum() { grep -o "\"$1\":[0-9]*" "$OUT/bots.json" | awk -F: '{s += $2} END {print s + 0}'; }
# The JSON object under key $1 whose values are objects (two levels), e.g. {"eat":{"sent":2}}.
json_obj2() { sed -n "s/.*\"$1\":\({\(\"[a-z_]*\":{[^}]*},\{0,1\}\)*}\).*/\1/p" "$OUT/bots.json"; }
# The sum of every "$2":n in the text $1.
sum_in() { grep -o "\"$2\":[0-9]*" <<<"$1" | awk -F: '{s += $2} END {print s + 0}'; }
# A number rounded to $2 decimals, for people to read.
round() { awk -v v="$1" -v d="$2" 'BEGIN { if (v == "") print "?"; else printf "%.*f", d, v }'; }

ITEMS=""
[[ "$MODE" == gameplay ]] && ITEMS="  item actions         $(json1 item_actions_done) done of $(json1 item_actions_sent) sent, \
refused $(json_sum refused) $(json_obj item_refused), lost races $(json_sum lost), \
orders ended without effect $(json_sum ended), unanswered $(json_sum unanswered)
  item txs committed   $(awk '$1 == "store_item_txs_total" {print $2}' "$OUT/metrics.txt") (store_item_txs_total)
"
if [[ "$MODE" == survival ]]; then
  SA=$(json_obj2 survival_actions)
  ITEMS="  survival actions     $(sum_in "$SA" done) done of $(sum_in "$SA" sent) sent, \
refused $(sum_in "$SA" refused) $(json_obj survival_refused), lost races $(sum_in "$SA" lost), \
ended without effect $(sum_in "$SA" ended), unanswered $(sum_in "$SA" unanswered)
  survival by kind     $SA
  survival seen        crafts $(json_obj craft_progress), damage dealt $(json1 damage_dealt), \
deaths $(json1 deaths), respawns $(json1 respawns), chat lines heard $(json1 chat_heard)
"
fi
cat <<EOF
bench-shard: $BOTS bots + $CLIENTS clients ($MODE mode), $SECS s, $(nproc) cores, tick class: $(
  [[ -n "$TICK_PRIORITY" ]] && ! grep -q 'staying in the normal scheduling class' "$OUT/shard.log" \
    && echo "real-time, priority $TICK_PRIORITY" || echo normal)
  tick (last window)   p50 $(metric 'shard_tick_seconds{quantile="0.5"}') ms   p99 $(metric 'shard_tick_seconds{quantile="0.99"}') ms   max $(metric 'shard_tick_seconds{quantile="1"}') ms
  tick (since start)   p50 $(metric 'shard_tick_since_start_seconds{quantile="0.5"}') ms   p99 $(metric 'shard_tick_since_start_seconds{quantile="0.99"}') ms
  ticks over $SHARD_SLOW_TICK_MS ms     $(awk '$1 == "shard_slow_ticks_total" {print $2}' "$OUT/metrics.txt") of $(awk '$1 == "shard_ticks_total" {print $2}' "$OUT/metrics.txt") (see "slow tick" warnings in the shard log, at most one a second)
  input→ack latency    p50 $(round "$(json latency_ms p50)" 1) ms   p99 $(round "$(json latency_ms p99)" 1) ms   max $(round "$(json latency_ms max)" 1) ms
  downstream/client    p50 $(round "$(json down_bytes_per_client_s p50)" 0) B/s   p99 $(round "$(json down_bytes_per_client_s p99)" 0) B/s
  frames/s             $(round "$(json1 frames_per_s)" 0)
  connected / errors   $(json1 connected) / $(json1 errors) $(json_obj error_kinds)   (bots exit $BOTS_EXIT)
  containers received  $(json_obj container_messages)
$ITEMS  shard peak RSS       $((RSS_KB / 1024)) MiB
  shard exit on SIGTERM $EXIT
  machine (both cores) steal $(cpu_share 9) %   irq+softirq $(cpu_share 7,8) %   idle $(cpu_share 5) %
EOF
echo "full report: $OUT/bots.json, metrics: $OUT/metrics.txt, shard log: $OUT/shard.log" >&2
exit "$BOTS_EXIT"

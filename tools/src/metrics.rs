//! The shard's admin document: `/health` and `/metrics` built from the status the tick publishes
//! once per second (see `game::shard::StatusBoard`).

use crate::admin::{AdminSource, Answer, MetricKind, Metrics};
use crate::build_info;
use crate::live_map::LiveMap;
use engine::TimingSummary;
use game::shard::{Control, MapBoard, MoveRequest, Movers, Phase, ShardStatus, StatusBoard};
use net::CountersSnapshot;
use serde_json::json;
use std::sync::Arc;

/// Reads the shard's status board for the admin port.
#[derive(Debug)]
pub struct ShardAdmin {
    board: Arc<StatusBoard>,
    bots_target: u32,
    live_map: Option<LiveMap>,
    control: Option<Control>,
}

impl ShardAdmin {
    /// A source over `board`; `bots_target` is the configured bot count.
    pub fn new(board: Arc<StatusBoard>, bots_target: u32) -> Self {
        Self { board, bots_target, live_map: None, control: None }
    }

    /// Takes operators' commands (`/admin/…`) to the shard through `control`.
    pub fn with_control(mut self, control: Control) -> Self {
        self.control = Some(control);
        self
    }

    /// Serves the live map from `map` too (under `/map`).
    pub fn with_map(mut self, map: Arc<MapBoard>) -> Self {
        self.live_map = Some(LiveMap::new(self.board.clone(), map));
        self
    }
}

impl AdminSource for ShardAdmin {
    fn health(&self) -> serde_json::Value {
        let s = self.board.snapshot();
        let status = if s.phase == Phase::Running { "ok" } else { s.phase.as_str() };
        json!({
            "status": status,
            "shard": s.shard_id,
            "tick": s.tick,
            "uptime_s": s.uptime_s,
            "players": s.players,
            "bots": s.bots,
            "bots_target": self.bots_target,
            "storage_queue": s.writer.queue_depth,
            "version": build_info::VERSION,
            "commit": build_info::COMMIT,
        })
    }

    fn metrics(&self, out: &mut Metrics) {
        render(&self.board.snapshot(), out);
    }

    fn map(&self, path: &str, query: &str) -> Option<Answer> {
        self.live_map.as_ref().map(|live| live.answer(path, query))
    }

    fn command(&self, path: &str, query: &str) -> Option<Answer> {
        match path {
            "/admin/handoff" => Some(handoff(self.control.as_ref()?, query)),
            _ => None,
        }
    }
}

/// `POST /admin/handoff?to=<map>&(count=<n>|name=<player>)[&x=<x>&y=<y>]`: moves online
/// players to map `to`, simulated by another shard (positions in 1/256 tile; default: the same
/// place relative to each map). Answers `{"started": k}`: the hand-offs submitted.
fn handoff(control: &Control, query: &str) -> Answer {
    match move_request(query) {
        Ok(request) => match control.move_players(request, std::time::Duration::from_secs(5)) {
            Ok(started) => {
                Answer::ok("application/json", json!({ "started": started }).to_string().into_bytes())
            }
            Err(why) => Answer::text(409, &why),
        },
        Err(why) => Answer::text(400, &why),
    }
}

/// Parses the query of `/admin/handoff`.
fn move_request(query: &str) -> Result<MoveRequest, String> {
    use crate::admin::query_value;
    let number = |key: &str| -> Result<Option<i64>, String> {
        query_value(query, key)
            .map(|v| v.parse::<i64>().map_err(|_| format!("{key} must be a number")))
            .transpose()
    };
    let to = number("to")?.ok_or("to=<map id> is required")?;
    let to = u32::try_from(to).map_err(|_| "to must be a map id".to_owned())?;
    let who = match (query_value(query, "name"), number("count")?) {
        (Some(name), None) => Movers::Named(name.to_owned()),
        (None, Some(n)) if n > 0 => Movers::Count(n as usize),
        _ => return Err("give either name=<player> or count=<n> (n > 0)".into()),
    };
    let at = match (number("x")?, number("y")?) {
        (Some(x), Some(y)) => Some((clamp_i32(x), clamp_i32(y))),
        (None, None) => None,
        _ => return Err("give both x and y, or neither".into()),
    };
    Ok(MoveRequest { who, to, at })
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Writes every metric family of `s` (what `/metrics` serves).
pub fn render(s: &ShardStatus, out: &mut Metrics) {
    build_metrics(out);
    tick_metrics(s, out);
    population_metrics(s, out);
    net_metrics(s, out);
    connection_metrics(&s.net, out);
    store_metrics(s, out);
    map_metrics(s, out);
    item_metrics(s, out);
}

const SECOND: f64 = 1e-6;

/// `shard_build_info{version, commit} 1`: what the running binary was built from.
fn build_metrics(out: &mut Metrics) {
    let help = "The shard's crate version and the git commit it was built from (always 1).";
    out.family("shard_build_info", help, MetricKind::Gauge).sample(
        "shard_build_info",
        &[("version", build_info::VERSION), ("commit", build_info::COMMIT)],
        1.0,
    );
}

fn quantiles(out: &mut Metrics, name: &str, labels: &[(&str, &str)], t: &TimingSummary) {
    for (q, us) in [("0.5", t.p50_us), ("0.99", t.p99_us), ("1", t.max_us)] {
        let mut l = labels.to_vec();
        l.push(("quantile", q));
        out.sample(name, &l, us as f64 * SECOND);
    }
}

fn tick_metrics(s: &ShardStatus, out: &mut Metrics) {
    let window_help = format!("Whole-tick time over the last {} s window (quantile 1 = max)", s.window_s);
    out.family("shard_tick_seconds", &window_help, MetricKind::Gauge);
    quantiles(out, "shard_tick_seconds", &[], &s.tick_window);
    out.family("shard_tick_since_start_seconds", "Whole-tick time since start", MetricKind::Gauge);
    quantiles(out, "shard_tick_since_start_seconds", &[], &s.tick_total);
    out.single("shard_ticks_total", "Ticks run", MetricKind::Counter, s.tick as f64);
    out.single(
        "shard_tick_overruns_total",
        "Ticks longer than the period",
        MetricKind::Counter,
        s.overruns as f64,
    );
    out.single(
        "shard_ticks_late_total",
        "Ticks started a period late",
        MetricKind::Counter,
        s.late_ticks as f64,
    );
    out.single(
        "shard_slow_ticks_total",
        "Ticks longer than the slow-tick threshold (each logged as a warning)",
        MetricKind::Counter,
        s.slow_ticks as f64,
    );
    out.single("shard_tick_rate_hz", "Configured ticks per second", MetricKind::Gauge, f64::from(s.tick_hz));
    out.single(
        "shard_map_picture_seconds",
        "Time the tick spent painting the last live-map picture (once a second)",
        MetricKind::Gauge,
        s.map_picture_s,
    );
    out.family(
        "shard_stage_seconds",
        "Per-stage and per-system time over the last window",
        MetricKind::Gauge,
    );
    for m in &s.maps {
        let map = m.map.to_string();
        for t in &m.stages {
            let system = t.system.as_deref().unwrap_or("");
            let labels = [("map", map.as_str()), ("stage", t.stage.as_str()), ("system", system)];
            quantiles(out, "shard_stage_seconds", &labels, &t.summary);
        }
    }
    out.family(
        "shard_phase_seconds",
        "Tick phases outside the maps' stages over the last window: events (client events, logins, \
         spawns, bots) and send (handing messages to the network thread)",
        MetricKind::Gauge,
    );
    for t in &s.phases {
        quantiles(out, "shard_phase_seconds", &[("phase", t.stage.as_str())], &t.summary);
    }
}

fn population_metrics(s: &ShardStatus, out: &mut Metrics) {
    out.single("shard_clients", "Players online", MetricKind::Gauge, s.players as f64);
    out.single("shard_logins_in_progress", "Logins being processed", MetricKind::Gauge, s.logins as f64);
    out.single("shard_logins_refused_total", "Logins refused", MetricKind::Counter, s.logins_refused as f64);
    out.single(
        "shard_orders_refused_total",
        "Orders refused as invalid",
        MetricKind::Counter,
        s.orders_refused as f64,
    );
    out.single("shard_bots", "Server-side bots alive", MetricKind::Gauge, s.bots as f64);
    out.family("shard_entities", "Characters (players and bots) per map", MetricKind::Gauge);
    for m in &s.maps {
        out.sample("shard_entities", &[("map", &m.map.to_string())], m.characters as f64);
    }
}

fn net_metrics(s: &ShardStatus, out: &mut Metrics) {
    let n = &s.net;
    out.single(
        "net_bytes_in_per_second",
        "Bytes from clients per second",
        MetricKind::Gauge,
        s.bytes_in_per_s,
    );
    out.single(
        "net_bytes_out_per_second",
        "Bytes to clients per second",
        MetricKind::Gauge,
        s.bytes_out_per_s,
    );
    counters(
        out,
        &[
            ("net_bytes_in_total", "Bytes read from clients", n.bytes_in),
            ("net_bytes_out_total", "Bytes written to clients", n.bytes_out),
            ("net_messages_in_total", "Client messages received", n.messages_in),
            ("net_messages_out_total", "Server messages queued", n.messages_out),
            ("net_rate_limit_drops_total", "Client messages dropped by the rate limit", n.rate_limit_drops),
            ("net_rate_limit_closes_total", "Connections closed for rate abuse", n.rate_limit_closes),
            (
                "net_frames_replaced_total",
                "Frames replaced by a newer one before sending",
                n.outbound_replaced,
            ),
            ("net_slow_client_closes_total", "Connections closed for not reading", n.slow_consumer_closes),
            ("net_protocol_closes_total", "Connections closed for protocol errors", n.protocol_closes),
            (
                "net_protocol_errors_total",
                "Error messages sent for unknown message types or a duplicate Hello",
                n.protocol_errors,
            ),
            (
                "net_frames_dropped_total",
                "Frames dropped because the client's outbound queue was over its cap",
                n.outbound_dropped,
            ),
            (
                "net_inbound_dropped_total",
                "Client messages dropped because the simulation's queue was full",
                n.inbound_dropped,
            ),
            (
                "net_sends_to_closed_total",
                "Outbound messages for connections already gone",
                n.sends_to_closed,
            ),
        ],
    );
    out.single(
        "shard_send_overflows_total",
        "Ticks whose messages the network queue refused",
        MetricKind::Counter,
        s.send_overflows as f64,
    );
}

/// Connections and sessions: open, accepted, refused at the door, ended before or without a
/// session.
fn connection_metrics(n: &CountersSnapshot, out: &mut Metrics) {
    out.single("net_connections", "Open connections", MetricKind::Gauge, n.active_connections as f64);
    out.single(
        "net_sessions",
        "Open sessions (a valid Hello received)",
        MetricKind::Gauge,
        n.active_sessions as f64,
    );
    counters(
        out,
        &[
            (
                "net_connections_accepted_total",
                "TCP connections accepted, before the connection limits",
                n.accepted,
            ),
            ("net_sessions_total", "Sessions started (a valid Hello received)", n.sessions),
        ],
    );
    let pages = "shard_http_pages_total";
    out.family(
        pages,
        "Plain HTTP requests the game port answered with a page: served (200) or not_found (404)",
        MetricKind::Counter,
    );
    out.sample(pages, &[("result", "served")], n.pages_served as f64);
    out.sample(pages, &[("result", "not_found")], n.pages_not_found as f64);
    let refused = "net_connections_refused_total";
    out.family(
        refused,
        "Connections refused with HTTP 503 over a connection limit: server_full (all connections) or \
         per_ip_limit (connections from one address, max_conns_per_ip)",
        MetricKind::Counter,
    );
    out.sample(refused, &[("reason", "server_full")], n.rejected_max_connections as f64);
    out.sample(refused, &[("reason", "per_ip_limit")], n.rejected_per_ip as f64);
    counters(
        out,
        &[
            (
                "net_handshake_failures_total",
                "WebSocket upgrades that failed (bad HTTP, not a WebSocket request, I/O error)",
                n.handshake_failures,
            ),
            (
                "net_handshake_timeouts_total",
                "Connections dropped for not completing the upgrade or Hello in time",
                n.handshake_timeouts,
            ),
            ("net_idle_closes_total", "Connections closed for idling (4004)", n.idle_timeouts),
            (
                "net_input_bytes_over_budget_total",
                "Client bytes read beyond the per-connection byte budget (they feed the abuse score)",
                n.input_bytes_over_budget,
            ),
            (
                "net_read_turns_cut_total",
                "Reading turns cut at the per-turn limit so other connections get served",
                n.read_turns_cut,
            ),
            (
                "net_kernel_checks_total",
                "Readings of a socket's unsent bytes from the kernel (SIOCOUTQ)",
                n.kernel_checks,
            ),
            (
                "net_frames_held_total",
                "Flushes that kept a state frame queued while the kernel held a client's backlog",
                n.outbound_held,
            ),
        ],
    );
}

fn store_metrics(s: &ShardStatus, out: &mut Metrics) {
    let w = &s.writer;
    out.single("store_queue_depth", "Writes queued or in flight", MetricKind::Gauge, w.queue_depth as f64);
    out.single(
        "store_positions_pending",
        "Players whose position waits for the next batch",
        MetricKind::Gauge,
        w.positions_pending as f64,
    );
    out.single(
        "store_flush_seconds_sum",
        "Total time of database writes",
        MetricKind::Counter,
        w.flush_us_sum as f64 * SECOND,
    );
    out.single(
        "store_flush_seconds_count",
        "Database writes (transactions and position batches)",
        MetricKind::Counter,
        w.flushes as f64,
    );
    out.single(
        "store_last_flush_seconds",
        "Duration of the latest database write",
        MetricKind::Gauge,
        w.last_flush_us as f64 * SECOND,
    );
    counters(
        out,
        &[
            ("store_positions_written_total", "Position rows written", w.positions_written),
            ("store_players_saved_total", "Player saves", w.players_saved),
            ("store_item_txs_total", "Item transactions committed", w.item_txs_ok),
            ("store_chunks_saved_total", "Chunk saves", w.chunks_saved),
            ("store_retries_total", "Writes retried after a failure", w.retries),
            ("store_rejected_total", "Writes refused because the queue was full", w.rejected_full),
            ("store_fenced_total", "Writes refused for a stale map epoch (map lost)", w.fenced),
        ],
    );
    out.single("meta_errors_total", "Failed metadata-store calls", MetricKind::Counter, s.meta_errors as f64);
    lease_metrics(&s.lease, out);
    handoff_metrics(&s.lease, out);
}

/// Hand-offs: out (Redirect sent), in (entered here), failed, and the latency of those out.
fn handoff_metrics(l: &game::shard::LeaseSnapshot, out: &mut Metrics) {
    counters(
        out,
        &[
            ("shard_handoffs_out_total", "Characters handed off to another shard", l.handoffs_out),
            ("shard_handoffs_in_total", "Characters that arrived by hand-off", l.handoffs_in),
            (
                "shard_handoffs_failed_total",
                "Hand-offs out refused by the store (the character stayed)",
                l.handoffs_failed,
            ),
        ],
    );
    let name = "shard_handoff_seconds";
    out.family(name, "Hand-off out latency: start to Redirect sent (the commit)", MetricKind::Histogram);
    let mut cumulative = 0;
    for (i, &count) in l.handoff_buckets.iter().enumerate() {
        cumulative += count;
        let le = game::shard::HANDOFF_BUCKETS_MS
            .get(i)
            .map_or("+Inf".to_owned(), |ms| format!("{}", *ms as f64 / 1000.0));
        out.sample(&format!("{name}_bucket"), &[("le", &le)], cumulative as f64);
    }
    out.sample(&format!("{name}_sum"), &[], l.handoff_us_sum as f64 / 1e6);
    out.sample(&format!("{name}_count"), &[], cumulative as f64);
}

/// Map leases: maps owned now, claims renewed, maps lost and taken over, Redirects sent.
fn lease_metrics(l: &game::shard::LeaseSnapshot, out: &mut Metrics) {
    out.single("shard_maps_owned", "Maps this shard owns (simulates) now", MetricKind::Gauge, l.owned as f64);
    counters(
        out,
        &[
            ("shard_lease_renewals_total", "Map claims renewed", l.renewals),
            ("shard_lease_losses_total", "Maps lost (claim taken or not renewed in time)", l.losses),
            ("shard_lease_takeovers_total", "Maps claimed after start (standby takeovers)", l.takeovers),
            ("shard_redirects_total", "Redirects sent to clients", l.redirects),
        ],
    );
}

/// One counter family per `(name, help, value)`.
fn counters(out: &mut Metrics, list: &[(&str, &str, u64)]) {
    for &(name, help, v) in list {
        out.single(name, help, MetricKind::Counter, v as f64);
    }
}

fn map_metrics(s: &ShardStatus, out: &mut Metrics) {
    type Get = fn(&game::shard::MapStatus) -> u64;
    let families: [(&str, &str, MetricKind, Get); 12] = [
        ("chunks_resident", "Chunks in memory", MetricKind::Gauge, |m| m.chunks.resident),
        ("chunk_loads_total", "Chunks loaded or generated", MetricKind::Counter, |m| m.chunks.loads),
        ("chunk_unloads_total", "Chunks unloaded", MetricKind::Counter, |m| m.chunks.unloads),
        ("chunk_errors_total", "Chunk storage errors (retried)", MetricKind::Counter, |m| m.chunks.errors),
        ("chunks_quarantined", "Chunks kept aside as undecodable", MetricKind::Gauge, |m| {
            m.chunks.quarantined
        }),
        ("replication_frames_total", "Frames sent", MetricKind::Counter, |m| m.replication.frames),
        ("replication_frame_bytes_total", "Frame bytes sent", MetricKind::Counter, |m| {
            m.replication.frame_bytes
        }),
        ("replication_chunk_bytes_total", "ChunkData bytes sent", MetricKind::Counter, |m| {
            m.replication.chunk_data_bytes
        }),
        (
            "replication_deferred_total",
            "Records that waited for a later frame (budget)",
            MetricKind::Counter,
            |m| m.replication.records_deferred,
        ),
        (
            "replication_object_delta_msgs_total",
            "ObjectDelta messages sent (one per client and chunk version reached)",
            MetricKind::Counter,
            |m| m.replication.object_delta_msgs,
        ),
        ("replication_object_delta_bytes_total", "ObjectDelta bytes sent", MetricKind::Counter, |m| {
            m.replication.object_delta_bytes
        }),
        (
            "replication_object_delta_encodes_total",
            "ObjectDelta encodings made (shared by the clients at one version)",
            MetricKind::Counter,
            |m| m.replication.object_delta_encodes,
        ),
    ];
    for (name, help, kind, get) in families {
        out.family(name, help, kind);
        for m in &s.maps {
            out.sample(name, &[("map", &m.map.to_string())], get(m) as f64);
        }
    }
}

/// The items feature of each map: operations done, refusals by error code, transactions the
/// store's writer refused, stored items not loaded.
fn item_metrics(s: &ShardStatus, out: &mut Metrics) {
    type Get = fn(&game::shard::MapStatus) -> u64;
    let families: [(&str, &str, Get); 3] = [
        (
            "shard_item_ops_total",
            "Item operations carried out by players and bots (moves, drops, pickups, boxes, eating, crafts, gathering)",
            |m| m.items.done,
        ),
        (
            "shard_item_submit_failed_total",
            "Accepted item transactions the store's writer refused (queue full or closed)",
            |m| m.items.submit_failed,
        ),
        ("shard_items_not_loaded_total", "Stored items not loaded (bad records, left in storage)", |m| {
            m.items.bad_items
        }),
    ];
    for (name, help, get) in families {
        out.family(name, help, MetricKind::Counter);
        for m in &s.maps {
            out.sample(name, &[("map", &m.map.to_string())], get(m) as f64);
        }
    }
    let refusals = "shard_item_refusals_total";
    out.family(
        refusals,
        "Item requests refused, by the code of the Error answering them",
        MetricKind::Counter,
    );
    for m in &s.maps {
        let map = m.map.to_string();
        for (code, n) in &m.items.refused {
            out.sample(refusals, &[("map", &map), ("code", &code.to_string())], *n as f64);
        }
    }
    bot_metrics(s, out);
}

/// The bots playing the loop on each map: their steps by kind, their item requests refused by
/// code (never sent anywhere, so only counted here).
fn bot_metrics(s: &ShardStatus, out: &mut Metrics) {
    let steps = "shard_bot_steps_total";
    out.family(steps, "Steps server-side bots took playing the survival loop, by kind", MetricKind::Counter);
    for m in &s.maps {
        let map = m.map.to_string();
        for (kind, n) in game::gameplay::bots::LoopCounters::NAMES.iter().zip(m.bot_steps.steps) {
            out.sample(steps, &[("map", &map), ("step", kind)], n as f64);
        }
    }
    let refusals = "shard_bot_item_refusals_total";
    out.family(refusals, "Item requests of server-side bots refused, by error code", MetricKind::Counter);
    for m in &s.maps {
        let map = m.map.to_string();
        for (code, n) in &m.items.bot_refused {
            out.sample(refusals, &[("map", &map), ("code", &code.to_string())], *n as f64);
        }
    }
}

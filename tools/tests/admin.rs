//! The admin port over real HTTP: health status codes, the Prometheus text, 404 and 405; the
//! shard's network counters in `/metrics`, its item counters and object-delta counters per map;
//! the build's version and commit in both documents; README's metrics table against the
//! families a running shard exposes.

mod common;

use common::InProcess;
use game::gameplay::bots::LoopCounters;
use game::gameplay::items::ItemCounters;
use game::replicate::ReplicationStats;
use game::shard::{MapStatus, ShardOptions, ShardStatus, StatusBoard};
use net::CountersSnapshot;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::StoreConfig;
use tools::admin::{AdminServer, AdminSource, MetricKind, Metrics};
use tools::build_info::{COMMIT, VERSION};
use tools::metrics::ShardAdmin;

#[derive(Default)]
struct Fake {
    degraded: AtomicBool,
    ticks: AtomicU64,
}

impl AdminSource for Fake {
    fn health(&self) -> serde_json::Value {
        let status = if self.degraded.load(Ordering::Relaxed) { "degraded" } else { "ok" };
        serde_json::json!({ "status": status, "ticks": self.ticks.load(Ordering::Relaxed) })
    }
    fn metrics(&self, out: &mut Metrics) {
        out.single(
            "shard_ticks_total",
            "Ticks run.",
            MetricKind::Counter,
            self.ticks.load(Ordering::Relaxed) as f64,
        );
        out.family("shard_stage_seconds", "Stage time quantiles.", MetricKind::Gauge).sample(
            "shard_stage_seconds",
            &[("stage", "move\"ment"), ("quantile", "0.99")],
            0.0025,
        );
    }
}

fn get(server: &AdminServer, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    write!(stream, "{request}\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let code = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

#[test]
fn health_and_metrics_are_served() {
    let fake = Arc::new(Fake::default());
    fake.ticks.store(42, Ordering::Relaxed);
    let server = AdminServer::start("127.0.0.1:0".parse().unwrap(), fake.clone()).unwrap();

    let (code, body) = get(&server, "GET /health HTTP/1.1");
    assert_eq!(code, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["ticks"], 42);

    fake.degraded.store(true, Ordering::Relaxed);
    assert_eq!(get(&server, "GET /health HTTP/1.1").0, 503);

    let (code, body) = get(&server, "GET /metrics?x=1 HTTP/1.1");
    assert_eq!(code, 200);
    assert!(body.contains("# TYPE shard_ticks_total counter\nshard_ticks_total 42\n"), "{body}");
    assert!(body.contains(r#"shard_stage_seconds{stage="move\"ment",quantile="0.99"} 0.0025"#), "{body}");

    assert_eq!(get(&server, "GET /nope HTTP/1.1").0, 404);
    assert_eq!(get(&server, "POST /metrics HTTP/1.1").0, 405);
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let first = AdminServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(Fake::default())).unwrap();
    let err = AdminServer::start(first.local_addr(), Arc::new(Fake::default())).unwrap_err();
    assert!(err.to_string().contains(&first.local_addr().to_string()), "{err}");
}

/// A shard status that never changes, rendered as the shard renders its own.
struct FixedStatus(ShardStatus);

impl AdminSource for FixedStatus {
    fn health(&self) -> serde_json::Value {
        serde_json::json!({ "status": "ok" })
    }
    fn metrics(&self, out: &mut Metrics) {
        tools::metrics::render(&self.0, out);
    }
}

/// Every network counter set to a distinct value (listed in full, without `..Default`, so a
/// counter added to `net` fails to compile here until it is exported and asserted).
fn distinct_counters() -> CountersSnapshot {
    CountersSnapshot {
        accepted: 101,
        rejected_max_connections: 102,
        rejected_per_ip: 103,
        handshake_failures: 104,
        handshake_timeouts: 105,
        sessions: 106,
        active_connections: 107,
        active_sessions: 108,
        bytes_in: 109,
        bytes_out: 110,
        messages_in: 111,
        messages_out: 112,
        rate_limit_drops: 113,
        rate_limit_closes: 114,
        outbound_replaced: 115,
        outbound_dropped: 116,
        slow_consumer_closes: 117,
        idle_timeouts: 118,
        protocol_closes: 119,
        protocol_errors: 120,
        inbound_dropped: 121,
        sends_to_closed: 122,
        input_bytes_over_budget: 123,
        read_turns_cut: 124,
        kernel_checks: 125,
        outbound_held: 126,
        pages_served: 127,
        pages_not_found: 128,
    }
}

#[test]
fn metrics_export_refusals_and_every_network_counter() {
    let status = ShardStatus { net: distinct_counters(), ..ShardStatus::default() };
    let server = AdminServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(FixedStatus(status))).unwrap();
    let (code, body) = get(&server, "GET /metrics HTTP/1.1");
    assert_eq!(code, 200);

    let refusals = "# TYPE net_connections_refused_total counter\n\
                    net_connections_refused_total{reason=\"server_full\"} 102\n\
                    net_connections_refused_total{reason=\"per_ip_limit\"} 103\n";
    assert!(body.contains(refusals), "{body}");
    let lines = [
        "net_connections_accepted_total 101",
        "net_handshake_failures_total 104",
        "net_handshake_timeouts_total 105",
        "net_sessions_total 106",
        "net_connections 107",
        "net_sessions 108",
        "net_bytes_in_total 109",
        "net_bytes_out_total 110",
        "net_messages_in_total 111",
        "net_messages_out_total 112",
        "net_rate_limit_drops_total 113",
        "net_rate_limit_closes_total 114",
        "net_frames_replaced_total 115",
        "net_frames_dropped_total 116",
        "net_slow_client_closes_total 117",
        "net_idle_closes_total 118",
        "net_protocol_closes_total 119",
        "net_protocol_errors_total 120",
        "net_inbound_dropped_total 121",
        "net_sends_to_closed_total 122",
        "net_input_bytes_over_budget_total 123",
        "net_read_turns_cut_total 124",
        "net_kernel_checks_total 125",
        "net_frames_held_total 126",
        "shard_http_pages_total{result=\"served\"} 127",
        "shard_http_pages_total{result=\"not_found\"} 128",
    ];
    for line in lines {
        assert!(body.lines().any(|l| l == line), "missing `{line}` in\n{body}");
    }
    let values: std::collections::BTreeSet<u64> = body
        .lines()
        .filter(|l| l.starts_with("net_") || l.starts_with("shard_http_pages"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse().ok())
        .collect();
    assert!((101..=128).all(|v| values.contains(&v)), "every counter exported: {values:?}");
}

#[test]
fn metrics_export_item_counters_and_object_deltas_per_map() {
    let items = ItemCounters {
        done: 201,
        refused: BTreeMap::from([(110, 202), (106, 203)]),
        submit_failed: 204,
        bad_items: 205,
        bot_refused: BTreeMap::from([(131, 209)]),
    };
    let mut bot_steps = LoopCounters::default();
    bot_steps.steps[7] = 210;
    let replication = ReplicationStats {
        object_delta_msgs: 206,
        object_delta_bytes: 207,
        object_delta_encodes: 208,
        ..ReplicationStats::default()
    };
    let maps = vec![
        MapStatus { map: 16, items, replication, bot_steps, ..MapStatus::default() },
        MapStatus { map: 17, ..MapStatus::default() },
    ];
    let status = ShardStatus { maps, ..ShardStatus::default() };
    let mut metrics = Metrics::default();
    tools::metrics::render(&status, &mut metrics);
    let body = metrics.into_text();
    let lines = [
        "shard_item_ops_total{map=\"16\"} 201",
        "shard_item_refusals_total{map=\"16\",code=\"106\"} 203",
        "shard_item_refusals_total{map=\"16\",code=\"110\"} 202",
        "shard_item_submit_failed_total{map=\"16\"} 204",
        "shard_items_not_loaded_total{map=\"16\"} 205",
        "replication_object_delta_msgs_total{map=\"16\"} 206",
        "replication_object_delta_bytes_total{map=\"16\"} 207",
        "replication_object_delta_encodes_total{map=\"16\"} 208",
        "shard_bot_item_refusals_total{map=\"16\",code=\"131\"} 209",
        "shard_bot_steps_total{map=\"16\",step=\"work\"} 210",
        "shard_bot_steps_total{map=\"17\",step=\"craft\"} 0",
        "shard_item_ops_total{map=\"17\"} 0",
        "shard_item_submit_failed_total{map=\"17\"} 0",
        "replication_object_delta_msgs_total{map=\"17\"} 0",
    ];
    for line in lines {
        assert!(body.lines().any(|l| l == line), "missing `{line}` in\n{body}");
    }
    let refusals: Vec<&str> = body.lines().filter(|l| l.starts_with("shard_item_refusals_total{")).collect();
    assert_eq!(refusals.len(), 2, "a refusal code appears once it happened, on its map: {refusals:?}");
    assert!(body.contains("# TYPE shard_item_refusals_total counter\n"), "{body}");
}

#[test]
fn health_and_metrics_name_the_version_and_commit() {
    let source = Arc::new(ShardAdmin::new(Arc::new(StatusBoard::default()), 0));
    let server = AdminServer::start("127.0.0.1:0".parse().unwrap(), source).unwrap();

    let (code, body) = get(&server, "GET /health HTTP/1.1");
    assert_eq!(code, 503, "a shard still starting is not healthy yet: {body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["version"], VERSION);
    assert_eq!(doc["commit"], COMMIT);

    let (code, body) = get(&server, "GET /metrics HTTP/1.1");
    assert_eq!(code, 200);
    let sample = format!("shard_build_info{{version=\"{VERSION}\",commit=\"{COMMIT}\"}} 1");
    assert!(body.contains(&format!("# TYPE shard_build_info gauge\n{sample}\n")), "{body}");
}

/// A documented metric family: its type and label names.
#[derive(Debug, PartialEq, Eq)]
struct Documented {
    kind: String,
    labels: BTreeSet<String>,
}

/// The rows of README.md's metrics table (the one under "### `/metrics`"): name → type, labels.
fn readme_metrics() -> BTreeMap<String, Documented> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split_once("### `/metrics`").expect("README has a /metrics section").1;
    let section = section.split("\n#").next().unwrap_or_default();
    let unquote = |cell: &str| cell.trim().trim_matches('`').to_owned();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            let labels = cells[3].split(',').map(unquote).filter(|l| !l.is_empty() && l != "–").collect();
            (unquote(cells[1]), Documented { kind: cells[2].trim().to_owned(), labels })
        })
        .collect()
}

/// The families of a Prometheus text (name → type) and the label names each one's samples use.
fn exposed_metrics(text: &str) -> (BTreeMap<String, String>, BTreeMap<String, BTreeSet<String>>) {
    let mut families = BTreeMap::new();
    let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            families.insert(name.to_owned(), kind.to_owned());
        } else if !line.starts_with('#') && !line.is_empty() {
            let name_end = line.find(['{', ' ']).unwrap();
            // A histogram's samples are `_bucket`, `_sum` and `_count` of its family.
            let sample = &line[..name_end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .filter_map(|suffix| sample.strip_suffix(suffix))
                .find(|base| families.get(*base).is_some_and(|k: &String| k == "histogram"))
                .unwrap_or(sample);
            let keys = labels.entry(family.to_owned()).or_default();
            if let Some((inside, _)) = line[name_end..].strip_prefix('{').and_then(|l| l.split_once('}')) {
                keys.extend(inside.split(',').filter_map(|kv| Some(kv.split_once('=')?.0.to_owned())));
            }
        }
    }
    (families, labels)
}

#[test]
fn the_readme_lists_exactly_the_metrics_a_running_shard_exposes() {
    let dir = tempfile::tempdir().unwrap();
    let shard =
        InProcess::start(StoreConfig::sqlite(dir.path().join("admin.sqlite3")), ShardOptions::default());
    let source = Arc::new(ShardAdmin::new(shard.status.clone(), 0));
    let server = AdminServer::start("127.0.0.1:0".parse().unwrap(), source).unwrap();
    // Once running and published (once a second), every family has its samples.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, body) = get(&server, "GET /health HTTP/1.1");
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        if code == 200 && doc["tick"].as_u64().is_some_and(|t| t > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "the shard never reported running: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, body) = get(&server, "GET /metrics HTTP/1.1");
    assert_eq!(code, 200);
    let (families, labels) = exposed_metrics(&body);
    let documented = readme_metrics();

    let exposed_names: BTreeSet<&String> = families.keys().collect();
    let documented_names: BTreeSet<&String> = documented.keys().collect();
    let undocumented: Vec<_> = exposed_names.difference(&documented_names).collect();
    let stale: Vec<_> = documented_names.difference(&exposed_names).collect();
    assert!(undocumented.is_empty(), "exposed but not in README's metrics table: {undocumented:?}");
    assert!(stale.is_empty(), "in README's metrics table but not exposed: {stale:?}");
    for (name, kind) in &families {
        assert_eq!(&documented[name].kind, kind, "type of {name} in README");
    }
    for (name, keys) in &labels {
        let doc =
            &documented.get(name).unwrap_or_else(|| panic!("a sample of an unknown family {name}")).labels;
        assert!(keys.is_subset(doc), "{name} has labels {keys:?}, README lists {doc:?}");
    }
    drop(server);
    shard.stop();
}

//! The admin port over real HTTP: health status codes, the Prometheus text, 404 and 405.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tools::admin::{AdminServer, AdminSource, MetricKind, Metrics};

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

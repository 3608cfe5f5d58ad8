//! The admin HTTP port: `/health` (JSON) and `/metrics` (Prometheus text format 0.0.4), served by
//! tiny_http on its own thread so scrapes never touch the tick. What is reported comes from an
//! [`AdminSource`] that the shard implements over its counters.

use std::fmt::{self, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// What the admin port reports.
pub trait AdminSource: Send + Sync + 'static {
    /// The health document: a JSON object whose `"status"` is `"ok"` when healthy (answered with
    /// 200) or anything else (answered with 503).
    fn health(&self) -> serde_json::Value;
    /// Writes every metric family.
    fn metrics(&self, out: &mut Metrics);
}

/// The kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (resets on restart).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// A Prometheus text-format document under construction.
#[derive(Debug, Default)]
pub struct Metrics {
    text: String,
}

impl Metrics {
    /// Starts a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, help: &str, kind: MetricKind) -> &mut Self {
        debug_assert!(valid_name(name), "bad metric name {name}");
        let kind = match kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self
    }

    /// Adds a sample of the current family, with labels (values escaped).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(self.text, "{sep}{key}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
        self
    }

    /// A family with one unlabelled sample.
    pub fn single(&mut self, name: &str, help: &str, kind: MetricKind, value: f64) -> &mut Self {
        self.family(name, help, kind).sample(name, &[], value)
    }

    /// The document.
    pub fn into_text(self) -> String {
        self.text
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        // Counters and gauges of whole numbers print as integers, exactly.
        format!("{}", v as i64)
    } else {
        // Nine decimals (a nanosecond for the durations in seconds), without trailing zeros:
        // readable, where `to_string` prints 0.0000049999999999999996.
        let text = format!("{v:.9}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The admin port could not be opened.
#[derive(Debug)]
pub struct AdminError {
    addr: SocketAddr,
    reason: String,
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "admin HTTP on {}: {}", self.addr, self.reason)
    }
}

impl std::error::Error for AdminError {}

/// The running admin server; stops when dropped.
pub struct AdminServer {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for AdminServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminServer").field("addr", &self.addr).finish()
    }
}

impl AdminServer {
    /// Binds `addr` (port 0 picks a free one) and serves `source` on a thread named `admin-http`.
    pub fn start(addr: SocketAddr, source: Arc<dyn AdminSource>) -> Result<Self, AdminError> {
        let error = |reason: String| AdminError { addr, reason };
        let server = Arc::new(tiny_http::Server::http(addr).map_err(|e| error(e.to_string()))?);
        let bound = server.server_addr().to_ip().ok_or_else(|| error("not an IP address".into()))?;
        let serving = server.clone();
        let thread = std::thread::Builder::new()
            .name("admin-http".into())
            .spawn(move || serve(&serving, source.as_ref()))
            .map_err(|e| error(e.to_string()))?;
        Ok(Self { server, addr: bound, thread: Some(thread) })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: &tiny_http::Server, source: &dyn AdminSource) {
    for request in server.incoming_requests() {
        let response = answer(request.method(), request.url(), source);
        // A scraper that hung up needs no answer; nothing else depends on this one.
        let _ = request.respond(response);
    }
}

type Reply = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn answer(method: &tiny_http::Method, url: &str, source: &dyn AdminSource) -> Reply {
    let path = url.split('?').next().unwrap_or("");
    if *method != tiny_http::Method::Get {
        return reply(405, "text/plain; charset=utf-8", "only GET is served\n".into());
    }
    match path {
        "/health" => {
            let doc = source.health();
            let code = if doc.get("status").and_then(|s| s.as_str()) == Some("ok") { 200 } else { 503 };
            reply(code, "application/json", doc.to_string())
        }
        "/metrics" => {
            let mut metrics = Metrics::default();
            source.metrics(&mut metrics);
            reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics.into_text())
        }
        _ => reply(404, "text/plain; charset=utf-8", "try /health or /metrics\n".into()),
    }
}

fn reply(code: u16, content_type: &str, body: String) -> Reply {
    let header =
        tiny_http::Header::from_bytes("Content-Type", content_type).expect("constant header is valid");
    tiny_http::Response::from_string(body).with_status_code(code).with_header(header)
}

#[cfg(test)]
mod tests {
    use super::format_value;

    #[test]
    fn values_print_as_people_read_them() {
        assert_eq!(format_value(0.000_004_999_999_999_999_999_6), "0.000005");
        assert_eq!(format_value(0.005_14), "0.00514");
        assert_eq!(format_value(42.0), "42");
        assert_eq!(format_value(-3.0), "-3");
        assert_eq!(format_value(1.5e-12), "0");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
    }
}

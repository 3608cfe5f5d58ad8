//! The admin HTTP port: `/health` (JSON) and `/metrics` (Prometheus text format 0.0.4), served by
//! tiny_http on its own thread so scrapes never touch the tick, and the operators' live map
//! under `/map` when the source has one. What is reported comes from an [`AdminSource`] that the
//! shard implements over its counters.
//!
//! Operators' commands are `POST`s under `/admin/` (`/admin/handoff`: move players to a map this
//! shard or another one simulates). They and `/map*` are guarded by the admin token ([`Gate`]):
//! open on a loopback address, else only with
//! the configured token (`Authorization: Bearer <token>` or `?token=<token>`, compared in
//! constant time), and refused (403) when no token is configured.

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
    /// Answers a `/map` request (`path` starts with `/map`, `query` is what follows `?`, empty
    /// without one); `None`: there is no live map (404).
    fn map(&self, _path: &str, _query: &str) -> Option<Answer> {
        None
    }
    /// Answers an operator's command, a `POST` under `/admin/` (`path` and `query` as for
    /// [`AdminSource::map`]); `None`: no such command (404).
    fn command(&self, _path: &str, _query: &str) -> Option<Answer> {
        None
    }
}

/// An answer of the live map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub code: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A `200` with `body`.
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Self { code: 200, content_type, body }
    }

    /// A one-line text answer.
    pub fn text(code: u16, line: &str) -> Self {
        Self { code, content_type: TEXT, body: format!("{line}\n").into_bytes() }
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

/// The admin token: a secret that never prints (its `Debug` is redacted) and compares in
/// constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// Shortest token accepted.
    pub const MIN_LEN: usize = 16;
    /// Longest token accepted.
    pub const MAX_LEN: usize = 256;

    /// A token of `MIN_LEN..=MAX_LEN` URL-safe characters (letters, digits, `-`, `_`, `.`, `~`),
    /// so it travels in a query string as is.
    pub fn new(secret: &str) -> Result<Self, &'static str> {
        let safe = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&secret.len()) {
            return Err("must be 16 to 256 characters long");
        }
        if !secret.chars().all(safe) {
            return Err("may only hold letters, digits, -, _, . and ~");
        }
        Ok(Self(secret.to_owned()))
    }

    /// True when `offered` is the token; the time taken does not depend on where they differ.
    pub fn matches(&self, offered: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), offered.as_bytes());
        let mut diff = u8::from(a.len() != b.len());
        for (i, &x) in a.iter().enumerate() {
            diff |= x ^ b.get(i).copied().unwrap_or(!x);
        }
        std::hint::black_box(diff) == 0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Who may see `/map*`.
#[derive(Debug, Clone)]
pub enum Gate {
    /// Everyone: the port is bound to a loopback address.
    Open,
    /// Whoever presents the token.
    Token(AdminToken),
    /// Nobody: the port is reachable from other machines and no token is configured.
    Closed,
}

impl Gate {
    /// The rule for a port bound to `bound` with `token` configured.
    pub fn new(bound: SocketAddr, token: Option<AdminToken>) -> Self {
        match token {
            _ if bound.ip().is_loopback() => Gate::Open,
            Some(token) => Gate::Token(token),
            None => Gate::Closed,
        }
    }

    /// Admits a request carrying `authorization` (the header's value) and `query`; else the
    /// refusal to send (401 without or with a wrong token, 403 when none is configured).
    pub fn admit(&self, authorization: Option<&str>, query: &str) -> Result<(), Answer> {
        let token = match self {
            Gate::Open => return Ok(()),
            Gate::Closed => {
                let line = "the live map and commands are off: the admin port is not on a loopback address and no \
                            admin_token is configured";
                return Err(Answer::text(403, line));
            }
            Gate::Token(token) => token,
        };
        let bearer = authorization.and_then(|v| v.trim().strip_prefix("Bearer ")).map(str::trim);
        let offered = bearer.or_else(|| query_value(query, "token"));
        match offered {
            Some(offered) if token.matches(offered) => Ok(()),
            Some(_) => Err(Answer::text(401, "wrong admin token")),
            None => Err(Answer::text(401, "admin token required (Authorization: Bearer or ?token=)")),
        }
    }
}

/// The value of `key` in a query string (`a=1&b=2`), undecoded.
pub fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

/// The kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (resets on restart).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative buckets (`_bucket{le=…}`), `_sum` and `_count`.
    Histogram,
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
            MetricKind::Histogram => "histogram",
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
    /// Binds `addr` (port 0 picks a free one) and serves `source` on a thread named `admin-http`,
    /// without an admin token.
    pub fn start(addr: SocketAddr, source: Arc<dyn AdminSource>) -> Result<Self, AdminError> {
        Self::start_with_token(addr, source, None)
    }

    /// Like [`AdminServer::start`], `/map*` guarded by `token` ([`Gate`]).
    pub fn start_with_token(
        addr: SocketAddr,
        source: Arc<dyn AdminSource>,
        token: Option<AdminToken>,
    ) -> Result<Self, AdminError> {
        let error = |reason: String| AdminError { addr, reason };
        let server = Arc::new(tiny_http::Server::http(addr).map_err(|e| error(e.to_string()))?);
        let bound = server.server_addr().to_ip().ok_or_else(|| error("not an IP address".into()))?;
        let serving = server.clone();
        let gate = Gate::new(bound, token);
        let thread = std::thread::Builder::new()
            .name("admin-http".into())
            .spawn(move || serve(&serving, source.as_ref(), &gate))
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

fn serve(server: &tiny_http::Server, source: &dyn AdminSource, gate: &Gate) {
    for request in server.incoming_requests() {
        let response = answer(&request, source, gate);
        // A scraper that hung up needs no answer; nothing else depends on this one.
        let _ = request.respond(response);
    }
}

type Reply = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn answer(request: &tiny_http::Request, source: &dyn AdminSource, gate: &Gate) -> Reply {
    let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
    let authorization = request.headers().iter().find(|h| h.field.equiv("Authorization"));
    let admit = || gate.admit(authorization.map(|h| h.value.as_str()), query);
    if path.starts_with("/admin/") {
        if *request.method() != tiny_http::Method::Post {
            return reply(405, "text/plain; charset=utf-8", "commands under /admin/ are POSTs\n".into());
        }
        let answer = admit()
            .map(|()| source.command(path, query).unwrap_or_else(|| Answer::text(404, "no such command")))
            .unwrap_or_else(|refusal| refusal);
        return reply_bytes(answer);
    }
    if *request.method() != tiny_http::Method::Get {
        return reply(405, "text/plain; charset=utf-8", "only GET is served\n".into());
    }
    if path == "/map" || path.starts_with("/map/") {
        let answer = admit()
            .map(|()| source.map(path, query).unwrap_or_else(|| Answer::text(404, "no live map here")))
            .unwrap_or_else(|refusal| refusal);
        return reply_bytes(answer);
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

/// A live-map answer, never cached (it changes every second), never sniffed.
fn reply_bytes(answer: Answer) -> Reply {
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name, value).expect("constant headers are valid")
    };
    tiny_http::Response::from_data(answer.body)
        .with_status_code(answer.code)
        .with_header(header("Content-Type", answer.content_type))
        .with_header(header("Cache-Control", "no-cache"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
}

#[cfg(test)]
mod tests {
    use super::{AdminToken, Gate, format_value, query_value};

    const SECRET: &str = "0123456789abcdef-XYZ";

    #[test]
    fn the_map_is_open_on_loopback_and_needs_the_token_elsewhere() {
        let token = || Some(AdminToken::new(SECRET).unwrap());
        let open = Gate::new("127.0.0.1:7778".parse().unwrap(), token());
        assert!(open.admit(None, "").is_ok());
        assert!(Gate::new("[::1]:7778".parse().unwrap(), None).admit(None, "").is_ok());

        let guarded = Gate::new("0.0.0.0:7778".parse().unwrap(), token());
        assert_eq!(guarded.admit(None, "").unwrap_err().code, 401);
        assert_eq!(guarded.admit(None, "token=nope").unwrap_err().code, 401);
        assert_eq!(guarded.admit(Some("Bearer 0123456789abcdef-XY"), "").unwrap_err().code, 401);
        assert!(guarded.admit(None, &format!("map=1&token={SECRET}")).is_ok());
        assert!(guarded.admit(Some(&format!("Bearer {SECRET}")), "").is_ok());

        let closed = Gate::new("10.1.2.3:7778".parse().unwrap(), None);
        let refusal = closed.admit(None, &format!("token={SECRET}")).unwrap_err();
        assert_eq!(refusal.code, 403);
        assert!(String::from_utf8(refusal.body).unwrap().contains("admin_token"));
    }

    #[test]
    fn tokens_are_checked_redacted_and_compared_whole() {
        assert!(AdminToken::new("short").is_err());
        assert!(AdminToken::new("has spaces in it, sixteen+").is_err());
        let t = AdminToken::new(SECRET).unwrap();
        assert_eq!(format!("{t:?}"), "AdminToken(<redacted>)");
        assert!(t.matches(SECRET));
        assert!(!t.matches(&SECRET[..SECRET.len() - 1]));
        assert!(!t.matches(&format!("{SECRET}x")));
        assert!(!t.matches(""));
        assert_eq!(query_value("a=1&token=x&b", "token"), Some("x"));
        assert_eq!(query_value("tokens=1", "token"), None);
    }

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

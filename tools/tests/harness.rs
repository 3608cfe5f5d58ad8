//! The bot harness: report JSON shape, percentile helpers, bot names, argument errors, wire
//! length estimates, shortfalls, and whole runs against a small fake shard (net::Server) and
//! against nothing at all, in process and through the `bots` binary.

use game::chunk_wire;
use game::geom::CHUNK_UNITS;
use net::protocol::{
    ChunkData, ClientMessage, ContainerChange, ContainerContents, ContainerRef, EntityEnter, EntityId,
    ErrorMsg, FrameBuilder, Hello, ItemSlot, OwnState, PROTOCOL_VERSION, Pong, ServerMessage, SessionToken,
    Welcome,
};
use net::{Inbound, Outbound, Server, ServerConfig};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tools::harness::{self, Args, HarnessConfig, HarnessError, Mode, Report, ShortfallCause, SourceIps};

fn config(args: &[&str]) -> Result<HarnessConfig, HarnessError> {
    Args::try_parse_args(std::iter::once("bots").chain(args.iter().copied()))?.into_config()
}

#[test]
fn report_json_has_the_required_keys_and_types() {
    let mut report = Report { connected: 7, errors: 2, frames_per_s: 140.5, ..Report::default() };
    report.error_kinds.insert("closed:1001".into(), 2);
    report.latency_ms = harness::LatencyMs { p50: 1.5, p99: 9.0, max: 12.25 };
    for r in [Report::default(), report] {
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(v["connected"].is_u64() && v["errors"].is_u64());
        for k in ["p50", "p99", "max"] {
            assert!(v["latency_ms"][k].is_f64(), "latency_ms.{k}");
        }
        for k in ["p50", "p99"] {
            assert!(v["down_bytes_per_client_s"][k].is_f64(), "down_bytes_per_client_s.{k}");
        }
        assert!(v["frames_per_s"].is_f64());
        assert!(v["error_kinds"].is_object() && v["mispredicted"].is_u64() && v["duration_s"].is_f64());
        assert!(!r.to_json().contains('\n'), "one line");
        assert!(r.to_string().contains("input→ack latency"), "human summary");
        assert_eq!(v["mode"], "move");
        assert!(v["item_refused"].is_object() && v["item_actions"].is_object());
        assert!(v["item_actions_sent"].is_u64() && v["item_actions_done"].is_u64());
        for k in ["contents", "changes", "closed"] {
            assert!(v["container_messages"][k].is_u64(), "container_messages.{k}");
        }
        assert!(r.to_string().contains("containers: "), "container messages in the summary");
        assert!(!r.to_string().contains("item actions: "), "item actions in gameplay mode only");
    }
}

#[test]
fn percentile_helpers() {
    assert_eq!(harness::percentile(&[], 50.0), 0.0);
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(harness::percentile(&v, 50.0), 50.0);
    assert_eq!(harness::percentile(&v, 99.0), 99.0);
    assert_eq!(harness::percentile(&v, 100.0), 100.0);
    assert_eq!(harness::percentile(&v, 0.0), 1.0);
    assert_eq!(harness::percentile(&[3.0], 99.0), 3.0);
    let r = harness::rate_percentiles(vec![5.0, f64::NAN, 1.0, 3.0, 2.0, 4.0]);
    assert_eq!((r.p50, r.p99), (3.0, 5.0), "unsorted input, NaN ignored");

    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    assert_eq!(harness::latency_ms(&h), harness::LatencyMs::default());
    for us in 1..=1000u64 {
        h.record(us * 100).unwrap();
    }
    let l = harness::latency_ms(&h);
    assert!((l.p50 - 50.0).abs() < 0.1 && (l.p99 - 99.0).abs() < 0.1 && (l.max - 100.0).abs() < 0.1, "{l:?}");
}

#[test]
fn bot_names_fit_the_protocol() {
    let prefix = harness::default_prefix(0xDEAD_BEEF_CAFE_F00D);
    assert_eq!(prefix, "bfef00d-");
    assert_eq!(harness::bot_name(&prefix, 42), "bfef00d-42");
    assert!(harness::bot_name(&prefix, 9_999_999).len() <= 32);
    let random = harness::default_prefix(harness::random_u64());
    assert_eq!(random.len(), 8);
    assert!(random.starts_with('b') && random.ends_with('-'));
    assert!(random[1..7].chars().all(|c| c.is_ascii_hexdigit()));

    assert!(harness::check_prefix(&"p".repeat(30), 100).is_ok(), "bot 99: 30 + 2 bytes fits");
    assert!(harness::check_prefix(&"p".repeat(30), 101).is_err(), "bot 100: 30 + 3 bytes does not");
    let c = config(&["--server", "127.0.0.1:9", "--clients", "3", "--name-prefix", "load-"]).unwrap();
    assert_eq!(c.name_prefix, "load-");
    let c = config(&["--server", "127.0.0.1:9"]).unwrap();
    assert_eq!(c.name_prefix.len(), 8, "random default prefix");
}

#[test]
fn arguments_are_validated() {
    let c = config(&["--server", "ws://127.0.0.1:7777/", "--clients", "5", "--duration", "2.5"]).unwrap();
    assert_eq!(c.server, "127.0.0.1:7777".parse().unwrap());
    assert_eq!((c.clients, c.duration, c.connect_rate), (5, Duration::from_millis(2500), 200.0));
    let c = config(&["--server", "ws://localhost:7001", "--connect-rate", "50"]).unwrap();
    assert_eq!((c.server.port(), c.connect_rate), (7001, 50.0));
    assert_eq!(harness::parse_server_addr("ws://[::1]:9/x").unwrap(), "[::1]:9".parse().unwrap());
    assert_eq!(harness::parse_server_addr("ws://127.0.0.1").unwrap().port(), 80);

    let err = |args: &[&str]| config(args).unwrap_err();
    assert!(matches!(err(&["--clients", "many"]), HarnessError::Args(_)));
    assert!(matches!(err(&["--bogus"]), HarnessError::Args(_)));
    assert!(matches!(err(&["--server", "http://127.0.0.1:1"]), HarnessError::BadAddress { .. }));
    assert!(matches!(err(&["--server", "ws://"]), HarnessError::BadAddress { .. }));
    assert!(matches!(err(&["--server", "ws://127.0.0.1:notaport"]), HarnessError::BadAddress { .. }));
    assert!(matches!(err(&["--clients", "0"]), HarnessError::Invalid { field: "clients", .. }));
    assert!(matches!(err(&["--duration", "0"]), HarnessError::Invalid { field: "duration", .. }));
    assert!(matches!(err(&["--duration", "nan"]), HarnessError::Invalid { field: "duration", .. }));
    assert!(matches!(err(&["--connect-rate", "0"]), HarnessError::Invalid { field: "connect-rate", .. }));
    let long = "x".repeat(31);
    let e = err(&["--clients", "20", "--name-prefix", &long]);
    assert!(e.to_string().contains("--name-prefix"), "{e}");
    let e = err(&["--server", "wss://example.org:443"]);
    assert!(e.to_string().contains("wss"), "{e}");
}

#[test]
fn source_ips_and_accounts_flags() {
    let c = config(&[]).unwrap();
    assert_eq!(c.source_ips, SourceIps::Auto);
    assert_eq!(c.accounts.as_deref(), Some(std::path::Path::new(harness::DEFAULT_ACCOUNTS_FILE)));
    assert_eq!(harness::DEFAULT_ACCOUNTS_FILE, "bots-accounts.tsv");
    let c = config(&["--source-ips", "off", "--accounts", "none"]).unwrap();
    assert_eq!((c.source_ips, c.accounts), (SourceIps::Off, None));
    let c = config(&["--accounts", "/tmp/mine.tsv"]).unwrap();
    assert_eq!(c.accounts, Some("/tmp/mine.tsv".into()));
    assert!(matches!(config(&["--source-ips", "on"]).unwrap_err(), HarnessError::Args(_)));
    let e = config(&["--accounts", ""]).unwrap_err();
    assert!(matches!(e, HarnessError::Invalid { field: "accounts", .. }), "{e:?}");
    let library = HarnessConfig::new("127.0.0.1:9".parse().unwrap(), 1);
    assert_eq!((library.source_ips, library.accounts), (SourceIps::Auto, None), "no file unless asked");
}

#[test]
fn wire_len_is_the_encoded_length_plus_the_websocket_header() {
    let mut b = FrameBuilder::new(9, 1, &OwnState::default());
    for i in 0..10 {
        b.push_enter(&EntityEnter { id: EntityId(i), ..EntityEnter::default() });
    }
    b.push_leave(EntityId(3));
    let frame = ServerMessage::decode(&b.finish()).unwrap();
    let pong = ServerMessage::Pong(Pong { nonce: 1, server_tick: 2 });
    let chunk = chunk_message(1, 1);
    for msg in [frame, pong, chunk, welcome(1, SessionToken([9; 32]))] {
        let len = msg.encode().len();
        assert_eq!(harness::wire_len(&msg), (len + harness::ws_header_len(len)) as u64, "{msg:?}");
    }
    assert_eq!((harness::ws_header_len(125), harness::ws_header_len(126)), (2, 4));
    assert_eq!(harness::ws_header_len(70_000), 10);
}

#[test]
fn nothing_listening_is_a_clear_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = HarnessConfig::new(SocketAddr::from(([127, 0, 0, 1], port)), 3);
    cfg.duration = Duration::from_secs(20);
    let started = Instant::now();
    let err = harness::run(cfg).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(15), "ends once every attempt failed");
    match &err {
        HarnessError::NothingConnected { attempted: 3, first_error: Some(e) } => {
            assert!(e.starts_with("connect:io"), "{e}")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("no client could connect"));
}

// ---- A fake shard: Welcome, one chunk, a frame every 50 ms echoing the last input ----

fn welcome(player: u64, token: SessionToken) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map: 0,
        token,
        x: CHUNK_UNITS / 2,
        y: CHUNK_UNITS / 2,
        width_chunks: 32,
        height_chunks: 32,
        continent: 0,
        layer: 0,
    })
}

fn chunk_message(cx: i32, cy: i32) -> ServerMessage {
    let grass = [3u16; chunk_wire::CHUNK_TILE_COUNT];
    let (data, raw_len) = chunk_wire::encode((cx, cy), &grass, &mut [], &mut Vec::new()).unwrap();
    ServerMessage::ChunkData(ChunkData { map: 0, cx, cy, version: 1, raw_len, data: data.into() })
}

/// What the fake shard saw.
#[derive(Debug, Default)]
struct Seen {
    hellos: Vec<Hello>,
    inputs: u64,
    acks: u64,
    closes: u64,
    item_requests: u64,
}

/// The body of net's HTTP 503 over its per-address limit.
const PER_IP_REFUSAL: &str = "HTTP 503: too many connections from this address";

/// How the fake shard behaves.
#[derive(Debug, Clone, Copy)]
struct Fake {
    /// Connections allowed from one address.
    max_per_ip: usize,
    /// The token every Welcome carries; `None`: the one the client sent in Hello.
    welcome_token: Option<SessionToken>,
    /// Show every player an inventory of two stacks, and refuse every item request as stale.
    items: bool,
    /// Then also send a ContainerChange made against a revision the player never had, and an
    /// Error about no request the player made.
    out_of_sync: bool,
}

impl Default for Fake {
    fn default() -> Self {
        Fake { max_per_ip: 16, welcome_token: None, items: false, out_of_sync: false }
    }
}

/// Berries and branches of the shipped content.
const BERRIES: u32 = 5;
const BRANCH: u32 = 1;

/// What the fake shows of the inventory on login: 5 berries, 3 branches.
fn inventory(fake: Fake) -> Vec<ServerMessage> {
    let stack =
        |slot: u16, kind, count| ItemSlot { slot, item: 100 + u64::from(slot), kind, quality: 0, count };
    let slots = vec![stack(0, BERRIES, 5), stack(1, BRANCH, 3)];
    let container = ContainerRef::Own;
    let mut out = vec![ServerMessage::ContainerContents(ContainerContents {
        container,
        revision: 1,
        capacity: 24,
        slots,
    })];
    if fake.out_of_sync {
        let slots = vec![ItemSlot::empty(0)];
        out.push(ServerMessage::ContainerChange(ContainerChange {
            container,
            base_revision: 7,
            revision: 8,
            slots,
        }));
        out.push(stale(u32::MAX));
    }
    out
}

fn stale(request: u32) -> ServerMessage {
    ServerMessage::Error(ErrorMsg { code: 110, request, text: "stale".into() })
}

/// The fake's answer to an item request: refused as stale.
fn item_refusal(msg: &ClientMessage) -> Option<ServerMessage> {
    match msg {
        ClientMessage::InventoryMove(m) => Some(stale(m.request)),
        ClientMessage::Drop(d) => Some(stale(d.request)),
        ClientMessage::Pickup(p) => Some(stale(p.request)),
        _ => None,
    }
}

fn fake_shard(stop: Arc<AtomicBool>, fake: Fake) -> (SocketAddr, JoinHandle<Seen>) {
    let bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let cfg = ServerConfig { bind, max_connections_per_ip: fake.max_per_ip, ..ServerConfig::default() };
    let (server, inbound) = Server::start(cfg).unwrap();
    let addr = server.local_addr();
    let thread = std::thread::spawn(move || {
        let handle = server.handle();
        let (mut seen, mut players) = (Seen::default(), HashMap::new());
        let pos = CHUNK_UNITS + CHUNK_UNITS / 2;
        let mut tick = 1;
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
            tick += 1;
            for ev in inbound.try_iter() {
                match ev {
                    Inbound::Connected { conn, hello, .. } => {
                        let token = fake.welcome_token.unwrap_or(hello.token);
                        seen.hellos.push(hello);
                        players.insert(conn, 0u32);
                        let _ = handle.send(conn, Outbound::reliable(welcome(conn.to_u64(), token).encode()));
                        let _ = handle.send(conn, Outbound::reliable(chunk_message(1, 1).encode()));
                        for msg in inventory(fake).into_iter().filter(|_| fake.items) {
                            let _ = handle.send(conn, Outbound::reliable(msg.encode()));
                        }
                    }
                    Inbound::Message { conn, msg: ClientMessage::Input(i) } => {
                        seen.inputs += 1;
                        players.insert(conn, i.seq);
                    }
                    Inbound::Message { msg: ClientMessage::Ack(_), .. } => seen.acks += 1,
                    Inbound::Message { conn, msg } => {
                        if let Some(refusal) = item_refusal(&msg).filter(|_| fake.items) {
                            seen.item_requests += 1;
                            let _ = handle.send(conn, Outbound::reliable(refusal.encode()));
                        }
                    }
                    Inbound::Disconnected { conn, .. } => {
                        seen.closes += 1;
                        players.remove(&conn);
                    }
                }
            }
            for (&conn, &seq) in &players {
                // A live character: bots do not walk while their frames show them dead.
                let own = OwnState { x: pos, y: pos, hp: 100, max_hp: 100, order: 0, ..OwnState::default() };
                let frame = FrameBuilder::new(tick, seq, &own).finish();
                let _ = handle.send(conn, Outbound::frame(frame));
            }
        }
        server.shutdown();
        seen
    });
    (addr, thread)
}

#[test]
fn a_run_against_a_fake_shard_measures_everything() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake::default());
    let mut cfg = HarnessConfig::new(addr, 4);
    cfg.duration = Duration::from_millis(2_500);
    cfg.name_prefix = "t-".into();
    let report = harness::run(cfg).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let seen = shard.join().unwrap();

    assert_eq!(report.connected, 4, "{report}");
    assert_eq!((report.errors, report.error_kinds.len()), (0, 0), "{report}");
    assert_eq!(report.chunk_messages, 4);
    assert!(report.frames_per_s > 4.0 * 10.0, "about 20 frames/s per bot: {report}");
    assert!(report.inputs_sent >= 4, "every bot ordered something within 2 s: {report}");
    // The fake shard echoes every input; one per bot may still be in flight at the end.
    assert!(report.latency_samples + 4 >= report.inputs_sent && report.latency_samples > 0, "{report}");
    assert!(report.latency_ms.p50 > 0.0 && report.latency_ms.max < 1_000.0, "{report}");
    assert!(report.down_bytes_per_client_s.p50 > 0.0 && report.down_bytes_total > 0);
    assert!(report.driver_bytes_in >= report.down_bytes_total, "the estimate never exceeds the socket count");
    assert!(report.predictions > 0, "{report}");

    let mut names: Vec<_> = seen.hellos.iter().map(|h| h.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["t-0", "t-1", "t-2", "t-3"]);
    let tokens: HashSet<_> = seen.hellos.iter().map(|h| h.token).collect();
    assert_eq!(tokens.len(), 4, "every bot chose its own token");
    assert!(!tokens.contains(&SessionToken::NONE), "a chosen token is never zero");
    assert_eq!(seen.inputs, report.inputs_sent);
    assert!(seen.acks > 0 && seen.acks <= report.acks_sent);
    assert_eq!(seen.closes, 4, "every connection was closed by the harness");
}

#[test]
fn a_run_stops_early_when_asked() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake::default());
    let mut cfg = HarnessConfig::new(addr, 2);
    cfg.duration = Duration::from_secs(120);
    let halt = cfg.stop_handle();
    let started = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        halt.store(true, Ordering::Relaxed);
    });
    let report = harness::run(cfg).unwrap();
    stopper.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.connected, 2);
    assert!(report.duration_s < 10.0);
    stop.store(true, Ordering::Relaxed);
    shard.join().unwrap();
}

#[test]
fn a_shortfall_names_its_causes() {
    let full = Report { clients: 4, connected: 4, ..Report::default() };
    assert_eq!(full.shortfall(), None);

    let mut report = Report { clients: 10, connected: 4, attempted: 8, unfinished: 2, ..Report::default() };
    report.refusals = BTreeMap::from([("HTTP 503: server full".into(), 2), ("HTTP 503".into(), 1)]);
    report.error_kinds = BTreeMap::from([("connect:http_503".into(), 3), ("connect:timeout".into(), 1)]);
    let shortfall = report.shortfall().expect("4 of 10 is short");
    assert_eq!((shortfall.asked, shortfall.connected), (10, 4));
    let causes = vec![
        ShortfallCause::Refused { reason: "HTTP 503".into(), refused: 1 },
        ShortfallCause::ServerFull { refused: 2 },
        ShortfallCause::Errors { kinds: BTreeMap::from([("connect:timeout".into(), 1)]) },
        ShortfallCause::RunEnded { bots: 2 },
    ];
    assert_eq!(shortfall.causes, causes);
    let text = shortfall.to_string();
    assert!(text.starts_with("only 4 of 10 clients connected\n"), "{text}");
    assert!(text.contains("2 refused with \"HTTP 503: server full\""), "{text}");
    assert!(text.contains("--max-conns-per-ip"), "a bare 503 names the per-IP setting: {text}");
    assert!(text.contains("2 not started or not yet welcomed"), "{text}");
}

#[test]
fn a_per_ip_limit_below_the_client_count_is_a_shortfall() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake { max_per_ip: 3, ..Fake::default() });
    let mut cfg = HarnessConfig::new(addr, 6);
    cfg.duration = Duration::from_secs(3);
    // Every bot from 127.0.0.1, as from a remote machine with one address.
    cfg.source_ips = SourceIps::Off;
    let report = harness::run(cfg).unwrap();
    stop.store(true, Ordering::Relaxed);
    shard.join().unwrap();

    assert_eq!((report.connected, report.attempted, report.unfinished), (3, 6, 0), "{report}");
    assert_eq!(report.refusals, BTreeMap::from([(PER_IP_REFUSAL.to_owned(), 3)]), "{report}");
    assert_eq!(report.error_kinds, BTreeMap::from([("connect:http_503".to_owned(), 3)]), "{report}");
    assert!(report.to_string().contains(&format!("refused: {{\"{PER_IP_REFUSAL}\": 3}}")), "{report}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["refusals"][PER_IP_REFUSAL], 3);

    let shortfall = report.shortfall().expect("3 of 6 connected");
    assert_eq!((shortfall.asked, shortfall.connected), (6, 3));
    assert_eq!(shortfall.causes, [ShortfallCause::PerIpLimit { refused: 3 }]);
    let text = shortfall.to_string();
    assert!(text.contains(&format!("3 refused with \"{PER_IP_REFUSAL}\"")), "{text}");
    assert!(text.contains("`--source-ips auto`"), "the local remedy: {text}");
    assert!(text.contains("`--max-conns-per-ip 6`") && text.contains("SHARD_MAX_CONNS_PER_IP=6"), "{text}");
    assert!(text.contains("`max_conns_per_ip = 6`"), "{text}");
}

#[test]
fn the_bots_binary_exits_non_zero_when_clients_are_refused() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake { max_per_ip: 2, ..Fake::default() });
    let output = Command::new(env!("CARGO_BIN_EXE_bots"))
        .args(["--server", &format!("ws://{addr}"), "--clients", "4", "--duration", "2", "--json"])
        .args(["--source-ips", "off", "--accounts", "none"])
        .output()
        .expect("run the bots binary");
    stop.store(true, Ordering::Relaxed);
    shard.join().unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("bots: only 2 of 4 clients connected"), "{stderr}");
    assert!(stderr.contains(&format!("2 refused with \"{PER_IP_REFUSAL}\"")), "{stderr}");
    assert!(stderr.contains("`--max-conns-per-ip 4`"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the JSON report first");
    assert_eq!((report["connected"].as_u64(), report["clients"].as_u64()), (Some(2), Some(4)));
    assert_eq!(report["refusals"][PER_IP_REFUSAL], 2);
}

#[test]
fn a_welcome_with_another_token_than_the_bots_is_an_error() {
    let stop = Arc::new(AtomicBool::new(false));
    let fake = Fake { welcome_token: Some(SessionToken([7; 32])), ..Fake::default() };
    let (addr, shard) = fake_shard(stop.clone(), fake);
    let mut cfg = HarnessConfig::new(addr, 3);
    cfg.duration = Duration::from_millis(1_500);
    let report = harness::run(cfg).unwrap();
    stop.store(true, Ordering::Relaxed);
    shard.join().unwrap();

    assert_eq!(report.connected, 3, "{report}");
    assert_eq!(report.error_kinds, BTreeMap::from([("token_mismatch".to_owned(), 3)]), "{report}");
    assert_eq!(report.errors, 3);
}

#[test]
fn item_refusals_are_counted_by_code_not_as_errors() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake { items: true, ..Fake::default() });
    let mut cfg = HarnessConfig::new(addr, 2);
    cfg.duration = Duration::from_secs(5);
    cfg.mode = Mode::Gameplay;
    let report = harness::run(cfg).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let seen = shard.join().unwrap();

    assert_eq!((report.connected, report.errors), (2, 0), "{report}");
    // The first action comes 1–3 s after Welcome, the next 1–3 s after an answer.
    assert!(report.item_actions_sent >= 2, "{report}");
    assert_eq!(report.item_actions_sent, seen.item_requests, "{report}");
    assert_eq!(report.item_actions_done, 0, "nothing changed: {report}");
    let refused = report.item_refused.get(&110).copied().unwrap_or(0);
    assert_eq!(report.item_refused.len(), 1, "{report}");
    assert!(refused + 2 >= report.item_actions_sent && refused > 0, "each refused but one in flight per bot");
    let kinds: u64 = report.item_actions.values().map(|c| c.refused).sum();
    assert_eq!(kinds, refused);
    assert!(report.item_actions.keys().all(|k| k == "move" || k == "drop"), "nothing else fits: {report}");
    assert_eq!(report.container_messages.contents, 2, "{report}");
    assert!(report.to_string().contains("item actions: "), "{report}");
}

#[test]
fn a_missed_container_change_and_an_error_about_nothing_sent_are_errors() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, shard) = fake_shard(stop.clone(), Fake { items: true, out_of_sync: true, ..Fake::default() });
    let mut cfg = HarnessConfig::new(addr, 2);
    cfg.duration = Duration::from_millis(800);
    cfg.mode = Mode::Gameplay;
    let report = harness::run(cfg).unwrap();
    stop.store(true, Ordering::Relaxed);
    shard.join().unwrap();

    let kinds = BTreeMap::from([("container_out_of_sync".to_owned(), 2), ("server_error:110".to_owned(), 2)]);
    assert_eq!(report.error_kinds, kinds, "{report}");
    assert_eq!(report.item_actions_sent, 0, "no action within 1 s of Welcome");
}

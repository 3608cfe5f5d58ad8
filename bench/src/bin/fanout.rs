//! Fan-out benchmark: one `net` server broadcasting a ~200-byte frame at 20 Hz to N WebSocket
//! clients held by a separate process (the `net` multi-connection driver), reporting messages/s,
//! server CPU and server memory per connection.
//!
//! Usage: `fanout [--clients N] [--secs S] [--hz H]` (the parent re-executes itself as
//! `fanout clients --addr A --n N` for the client process). See bench/README.md.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use net::client::{Driver, DriverConfig, DriverEvent};
use net::protocol::{EntityId, EntityState, EntityUpdate, FrameBuilder, Hello, OwnState, SessionToken};
use net::{ConnId, Inbound, Outbound, Server, ServerConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("clients") {
        let addr = arg(&args, "--addr").and_then(|a| a.parse().ok()).expect("--addr");
        let n = arg(&args, "--n").and_then(|v| v.parse().ok()).expect("--n");
        return run_clients(addr, n);
    }
    let clients = arg(&args, "--clients").and_then(|v| v.parse().ok()).unwrap_or(1000);
    let secs = arg(&args, "--secs").and_then(|v| v.parse().ok()).unwrap_or(20);
    let hz = arg(&args, "--hz").and_then(|v| v.parse().ok()).unwrap_or(20);
    run_server(clients, Duration::from_secs(secs), hz);
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// A valid protocol `Frame` of 197 bytes: header, own state, 6 updates and 1 leave.
fn frame_payload(tick: u64) -> net::Bytes {
    let own = OwnState { x: 1000, y: 2000, hp: 50, max_hp: 100, ..OwnState::default() };
    let mut b = FrameBuilder::new(tick, tick as u32, &own);
    for i in 0..6 {
        let state = EntityState { x: 10 * i as i32, y: 7, hp: 9, ..EntityState::default() };
        let u = EntityUpdate { id: EntityId(i), state };
        b.push_update(&u);
    }
    b.push_leave(EntityId(99));
    b.finish()
}

fn run_server(clients: usize, duration: Duration, hz: u32) {
    check_fd_limit(clients);
    let cfg = ServerConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        max_connections: clients + 100,
        max_connections_per_ip: clients + 100,
        handshake_timeout: Duration::from_secs(60),
        ..ServerConfig::default()
    };
    let (server, inbound) = Server::start(cfg).expect("server starts");
    std::thread::sleep(Duration::from_millis(200));
    let rss_before = rss_bytes();
    let mut child = spawn_clients(server.local_addr(), clients);
    let conns = wait_sessions(&inbound, clients);
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle = rss_bytes();
    let run = broadcast_for(&server, &inbound, &conns, duration, hz);
    let snap = server.counters().snapshot();
    server.shutdown();
    let (received, client_cpu) = read_child_report(&mut child);
    let (wall, user, sys) = (run.wall, run.user, run.sys);
    let per_conn = (rss_idle.saturating_sub(rss_before)) as f64 / clients as f64 / 1024.0;
    println!("clients={clients} hz={hz} secs={wall:.1} ticks={}", run.ticks);
    println!("messages_queued_per_s={:.0}", snap.messages_out as f64 / wall);
    println!("messages_received_per_s={:.0}", received as f64 / wall);
    println!("bytes_out_per_s={:.0}", snap.bytes_out as f64 / wall);
    println!(
        "server_cpu_pct_of_one_core={:.1} (user {:.1}, system {:.1})",
        100.0 * (user + sys) / wall,
        100.0 * user / wall,
        100.0 * sys / wall
    );
    println!(
        "rss_before_mib={:.1} rss_idle_mib={:.1} rss_per_idle_conn_kib={per_conn:.2}",
        mib(rss_before),
        mib(rss_idle)
    );
    println!(
        "replaced={} dropped={} held={} kernel_checks={} slow_closes={}",
        snap.outbound_replaced,
        snap.outbound_dropped,
        snap.outbound_held,
        snap.kernel_checks,
        snap.slow_consumer_closes
    );
    println!("client_process_cpu_seconds_whole_run={client_cpu:.1} (connect + idle + broadcast)");
}

/// Wall time, CPU seconds and ticks of the broadcast phase.
struct Run {
    wall: f64,
    user: f64,
    sys: f64,
    ticks: u64,
}

/// Broadcasts one frame per tick to every session, paced from the intended start time.
fn broadcast_for(
    server: &Server,
    inbound: &net::InboundReceiver,
    conns: &[ConnId],
    duration: Duration,
    hz: u32,
) -> Run {
    let handle = server.handle();
    let period = Duration::from_secs(1) / hz;
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let mut next = t0;
    let mut ticks = 0u64;
    while t0.elapsed() < duration {
        handle.broadcast(conns.to_vec(), Outbound::frame(frame_payload(ticks))).expect("broadcast");
        ticks += 1;
        next += period;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let _ = inbound.try_iter().count();
    }
    let ((user, sys), wall) = (cpu_seconds(), t0.elapsed().as_secs_f64());
    Run { wall, user: user - cpu0.0, sys: sys - cpu0.1, ticks }
}

fn spawn_clients(addr: SocketAddr, n: usize) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    Command::new(exe)
        .args(["clients", "--addr", &addr.to_string(), "--n", &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn client process")
}

fn wait_sessions(inbound: &net::InboundReceiver, n: usize) -> Vec<ConnId> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut conns = Vec::with_capacity(n);
    while conns.len() < n {
        assert!(Instant::now() < deadline, "only {} of {n} clients connected", conns.len());
        if let Ok(Inbound::Connected { conn, .. }) = inbound.recv_timeout(Duration::from_secs(1)) {
            conns.push(conn);
        }
    }
    conns
}

/// Reads the client process's `received=` and `client_cpu_seconds=` lines.
fn read_child_report(child: &mut Child) -> (u64, f64) {
    let out = child.stdout.take().expect("child stdout");
    let (mut received, mut cpu) = (0, 0.0);
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if let Some(v) = line.strip_prefix("received=") {
            received = v.parse().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("client_cpu_seconds=") {
            cpu = v.parse().unwrap_or(0.0);
        }
    }
    let _ = child.wait();
    (received, cpu)
}

/// Client process: connect `n` sessions in batches, count messages until the server closes all.
fn run_clients(addr: SocketAddr, n: usize) {
    let cfg = DriverConfig { deliver_messages: false, ..DriverConfig::default() };
    let mut driver = Driver::new(cfg).expect("driver");
    let mut events = Vec::new();
    let (mut started, mut connected) = (0usize, 0usize);
    let mut ever_full = false;
    loop {
        while started < n && started - connected < 200 {
            let hello = Hello { name: format!("bot{started}"), token: SessionToken::NONE };
            driver.connect(addr, Some(hello)).expect("connect");
            started += 1;
        }
        driver.poll(Some(Duration::from_millis(50)), &mut events).expect("poll");
        for ev in events.drain(..) {
            match ev {
                DriverEvent::Connected(_) => connected += 1,
                DriverEvent::Closed(_, info) if !ever_full => eprintln!("client closed early: {info:?}"),
                _ => {}
            }
        }
        ever_full |= connected == n;
        if ever_full && driver.is_empty() {
            break;
        }
    }
    let (user, sys) = cpu_seconds();
    println!("received={}", driver.stats().messages_in);
    println!("client_cpu_seconds={:.2}", user + sys);
}

fn check_fd_limit(clients: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(soft) = soft.filter(|&s| s < clients + 200) {
        eprintln!("warning: open-file limit {soft} is below {} (raise `ulimit -n`)", clients + 200);
    }
}

/// (user, system) CPU of this process, seconds (from /proc/self/stat, USER_HZ = 100).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) as f64 / 100.0, ticks(12) as f64 / 100.0)
}

/// Resident set size of this process, bytes (from /proc/self/statm, 4 KiB pages).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 4096
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

//! The shard binary serves the web: the play page and `/content.json` on the game port (the
//! document checked against the content), and the live map on the admin port: a logged-in
//! client listed as a player with its name, address and details, terrain thumbnails of the
//! chunks in memory, and the admin token required off loopback (403 without one configured).

mod common;

use common::{Player, ShardProcess, free_addr, unique};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);
const TOKEN: &str = "test-admin-token-0123456789";

/// `GET path` with extra header lines; returns the status, the head and the body.
fn get(addr: SocketAddr, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(tcp, "GET {path} HTTP/1.1\r\nHost: test\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).expect("read the answer");
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP head") + 4;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head[9..12].parse().expect("a status code");
    (status, head, raw[end..].to_vec())
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn the_game_port_serves_the_play_page_and_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let shard = ShardProcess::start(&["--data-dir".into(), dir.path().to_str().unwrap().into()]);
    let (status, head, body) = get(shard.listen, "/", "");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8\r\n"), "{head}");
    let on_disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/web/play/index.html")).unwrap();
    assert_eq!(body, on_disk, "the embedded page is the file in the tree");
    assert_eq!(get(shard.listen, "/no-such-file.js", "").0, 404);

    let (status, head, body) = get(shard.listen, "/content.json", "");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: application/json\r\n"), "{head}");
    let doc = json(&body);
    let content = game::Content::builtin();
    assert_eq!(doc["tick_hz"], 20);
    let terrains: Vec<String> = content.terrains.iter().map(|t| t.name.clone()).collect();
    assert_eq!(names(&doc["terrains"]), terrains);
    let items: Vec<String> = content.items.iter().map(|k| k.name.clone()).collect();
    assert_eq!(names(&doc["items"]), items);
    let recipes: Vec<String> = content.recipes.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names(&doc["recipes"]), recipes);
    for (listed, recipe) in doc["recipes"].as_array().unwrap().iter().zip(content.recipes.iter()) {
        assert_eq!(listed["result"]["kind"], recipe.result.kind);
        assert_eq!(listed["ingredients"].as_array().unwrap().len(), recipe.ingredients.len());
    }

    // A WebSocket client still logs in on the same port.
    let player = Player::connect(shard.listen, &unique("web"), [0; 32]).expect("a player logs in");
    drop(player);
    // The metrics are a snapshot the shard publishes once a second: wait for one taken after the
    // pages were served (a login may now finish before the first snapshot).
    let served = "shard_http_pages_total{result=\"served\"} 2";
    let not_found = "shard_http_pages_total{result=\"not_found\"} 1";
    let until = Instant::now() + LONG;
    let metrics = loop {
        let (_, _, metrics) = get(shard.admin, "/metrics", "");
        let metrics = String::from_utf8(metrics).unwrap();
        if metrics.contains(served) || Instant::now() > until {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(metrics.contains(served), "{metrics}");
    assert!(metrics.contains(not_found), "{metrics}");
    assert_eq!(shard.terminate(), Some(0));
}

#[test]
fn the_live_map_lists_a_logged_in_player_and_the_chunks_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let shard = ShardProcess::start(&["--data-dir".into(), dir.path().to_str().unwrap().into()]);
    let name = unique("mapper");
    let mut player = Player::connect(shard.listen, &name, [0; 32]).expect("a player logs in");
    let me = player.me().0;

    let until = Instant::now() + LONG;
    let state = loop {
        player.pump(Duration::from_millis(200));
        let (status, _, body) = get(shard.admin, "/map/state", "");
        assert_eq!(status, 200, "no token needed on loopback");
        let state = json(&body);
        let listed = state["players"].as_array().unwrap().iter().any(|p| p[1] == name.as_str());
        let resident = state["maps"][0]["chunks"].as_array().is_some_and(|c| c.len() >= 3);
        if listed && resident {
            break state;
        }
        assert!(Instant::now() < until, "{name} never appeared on the map: {state}");
    };
    let fields: Vec<&str> =
        state["player_fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(fields, ["entity", "name", "map", "x", "y", "down_bps", "up_bps"]);
    let row = state["players"].as_array().unwrap().iter().find(|p| p[1] == name.as_str()).unwrap();
    assert_eq!(row[0].as_u64(), Some(me), "listed by its character's id");
    let map = &state["maps"][0];
    assert_eq!(row[2], map["id"]);
    let characters = map["characters"].as_array().unwrap();
    assert!(characters.chunks(4).any(|c| c[0].as_u64() == Some(me) && c[3] == 0), "a player's dot");
    for key in ["tick_p50_ms", "tick_p99_ms", "clients", "entities", "storage_queue", "chunks_loading"] {
        assert!(state["panel"].get(key).is_some(), "panel.{key}: {state}");
    }

    // The chunk under the player is in memory: its thumbnail is 32 × 32 terrain ids.
    let (x, y) = (row[3].as_f64().unwrap() as i64, row[4].as_f64().unwrap() as i64);
    let (cx, cy) = (x / 128, y / 128);
    let path = format!("/map/terrain?map={}&cx={cx}&cy={cy}", map["id"]);
    let (status, head, thumb) = get(shard.admin, &path, "");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("application/octet-stream"), "{head}");
    assert_eq!(thumb.len(), 32 * 32);
    let terrains = game::Content::builtin().terrains.len();
    assert!(thumb.iter().all(|&t| usize::from(t) < terrains), "terrain ids");
    assert_eq!(get(shard.admin, "/map/terrain?map=1&cx=-5&cy=0", "").0, 404);

    let (status, _, body) = get(shard.admin, &format!("/map/player?id={me}"), "");
    assert_eq!(status, 200);
    let details = json(&body);
    assert_eq!(details["name"], name.as_str());
    assert!(details["peer"].as_str().unwrap().starts_with("127.0.0.1:"), "{details}");
    assert!(details["connected_s"].as_u64().is_some() && details["down_bps"].as_f64().is_some());

    let (status, head, page) = get(shard.admin, "/map", "");
    assert_eq!(status, 200);
    assert!(head.contains("text/html") && String::from_utf8_lossy(&page).contains("map-canvas"));
    assert_eq!(get(shard.admin, "/map/map.js", "").0, 200);
    assert_eq!(shard.terminate(), Some(0));
}

/// A shard whose admin port is on all interfaces (not loopback), with `env` set; waits until
/// `/health` answers 200. Returns the child (stderr piped) and the admin port on loopback.
fn exposed_shard(dir: &std::path::Path, env: &[(&str, &str)]) -> (std::process::Child, SocketAddr) {
    let (listen, local_admin) = (free_addr(), free_addr());
    let admin = format!("0.0.0.0:{}", local_admin.port());
    let child = Command::new(env!("CARGO_BIN_EXE_shard"))
        .args(["--listen", &listen.to_string(), "--admin", &admin, "--bots", "0"])
        .args(["--data-dir", dir.to_str().unwrap()])
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the shard binary");
    let until = Instant::now() + LONG;
    while get_status(local_admin, "/health") != Some(200) {
        assert!(Instant::now() < until, "the shard never became healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, local_admin)
}

/// SIGTERM, then the shard's logs.
fn stop(child: std::process::Child) -> String {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let output = child.wait_with_output().expect("the shard exits");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn off_loopback_the_live_map_needs_the_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let (child, admin) = exposed_shard(dir.path(), &[]);
    let (status, _, body) = get(admin, "/map/state", "");
    assert_eq!(status, 403, "no token configured: {}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("admin_token"));
    assert_eq!(get(admin, &format!("/map/state?token={TOKEN}"), "").0, 403);
    assert_eq!(get(admin, "/health", "").0, 200, "/health never needs a token");
    stop(child);

    let dir = tempfile::tempdir().unwrap();
    let (child, admin) = exposed_shard(dir.path(), &[("SHARD_ADMIN_TOKEN", TOKEN)]);
    assert_eq!(get(admin, "/map/state", "").0, 401);
    assert_eq!(get(admin, "/map/state?token=wrong-token-0123456789", "").0, 401);
    assert_eq!(get(admin, &format!("/map/state?token={TOKEN}"), "").0, 200);
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(get(admin, "/map/state", &bearer).0, 200);
    assert_eq!(get(admin, &format!("/map?token={TOKEN}"), "").0, 200);
    assert_eq!(get(admin, "/map/map.js", "").0, 401, "the page's files too");
    assert_eq!(get(admin, "/metrics", "").0, 200);
    let logs = stop(child);
    assert!(!logs.contains(TOKEN), "the token is never logged");
}

fn get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    write!(tcp, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    tcp.read_to_string(&mut text).ok()?;
    text.get(9..12)?.parse().ok()
}

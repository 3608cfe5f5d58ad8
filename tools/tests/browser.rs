//! The play page in a real browser: starts a shard (embedded SQLite in a temp dir, free ports) and
//! runs `tools/web/tests/e2e/play.mjs` (Playwright driving the system Chromium) against it; the
//! script's exit status is the verdict. The two players it logs in as are created first and stored
//! side by side (new characters start anywhere in the start area, often farther apart than chat
//! carries); the pages get their names and tokens. Without Chromium or the npm packages (`npm ci`
//! in tools/web/tests) the test fails under `CI=true` and is skipped otherwise.

mod common;

use common::caves::a_way_down;
use common::{Player, ShardProcess, unavailable, unique};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser the e2e scripts drive.
const CHROMIUM: &str = "/usr/bin/chromium";

fn web_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/tests")
}

/// What the e2e run needs besides the shard, or why it cannot run.
fn prerequisites() -> Result<(), String> {
    if !Path::new(CHROMIUM).exists() {
        return Err(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let playwright = web_tests_dir().join("node_modules/playwright-core");
    if !playwright.exists() {
        return Err(format!("{} is missing (npm ci in tools/web/tests)", playwright.display()));
    }
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err("node is missing".to_string()),
    }
}

/// Where the e2e run leaves its screenshots: target/browser-artifacts.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser-artifacts")
}

/// A token for a test player: not secret, never all zeros.
fn token_for(i: u8) -> [u8; 32] {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(7, |d| d.subsec_nanos());
    std::array::from_fn(|k| ((nanos >> (k % 4 * 8)) as u8 ^ i.wrapping_mul(31) ^ k as u8) | 1)
}

/// Creates two characters on the shard of `args` and stores the second one 3 tiles east of the
/// first (the shard places it on a free spot within 2 tiles when that one is taken).
fn two_players_side_by_side(args: &[String], data: &Path) -> [(String, [u8; 32]); 2] {
    let shard = ShardProcess::start(args);
    let players = [(unique("Ann"), token_for(1)), (unique("Bob"), token_for(2))];
    for (name, token) in &players {
        let mut p = Player::connect(shard.listen, name, *token).expect("first login");
        p.pump(std::time::Duration::from_millis(200));
    }
    assert_eq!(shard.terminate(), Some(0), "the shard stops cleanly");
    let db = rusqlite::Connection::open(data.join(tools::serve::SQLITE_FILE)).expect("open the store");
    let id = |name: &str| -> i64 {
        db.query_row("SELECT id FROM players WHERE name = ?1", [name], |r| r.get(0)).expect("player stored")
    };
    let (a, b) = (id(&players[0].0), id(&players[1].0));
    let moved = db
        .execute(
            "UPDATE player_positions SET map = (SELECT map FROM player_positions WHERE id = ?1), \
             x = (SELECT x FROM player_positions WHERE id = ?1) + 768, \
             y = (SELECT y FROM player_positions WHERE id = ?1) WHERE id = ?2",
            [a, b],
        )
        .expect("place the second player");
    assert_eq!(moved, 1);
    players
}

/// `name:hex token,name:hex token`: the players the e2e script logs in as.
fn players_env(players: &[(String, [u8; 32])]) -> String {
    let one = |(name, token): &(String, [u8; 32])| {
        token.iter().fold(format!("{name}:"), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    players.iter().map(one).collect::<Vec<_>>().join(",")
}

#[test]
fn the_play_page_plays_in_a_real_browser() {
    if let Err(why) = prerequisites() {
        unavailable("the browser end-to-end run", &why);
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    // The default per-IP limit: two pages and their module fetches (kept-alive connections) fit.
    let dir = data.path().to_str().expect("utf-8 temp path");
    let args = ["--data-dir", dir].map(String::from);
    let players = two_players_side_by_side(&args, data.path());
    let shard = ShardProcess::start(&args);
    let cave = a_way_down(&game::Content::builtin(), game::shard::ShardOptions::default().seed);
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let status = Command::new("node")
        .arg(web_tests_dir().join("e2e/play.mjs"))
        .env("SHARD_URL", format!("http://{}/", shard.listen))
        .env("ADMIN_URL", format!("http://{}/", shard.admin))
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", CHROMIUM)
        .env("PLAYERS", players_env(&players))
        .env("CAVE_AT", format!("{},{}", cave.0, cave.1))
        .status()
        .expect("run node");
    assert!(
        status.success(),
        "the browser scenario failed ({status}); screenshots in {}",
        artifacts.display()
    );
    assert_eq!(shard.terminate(), Some(0), "the shard stops cleanly after the browser run");
}

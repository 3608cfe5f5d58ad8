//! The play page in a real browser: starts a shard (embedded SQLite in a temp dir, free ports, new
//! players side by side) and runs `tools/web/tests/e2e/play.mjs` (Playwright driving the system
//! Chromium) against it; the script's exit status is the verdict. Without Chromium or the npm
//! packages (`npm ci` in tools/web/tests) the test fails under `CI=true` and is skipped otherwise.

mod common;

use common::{ShardProcess, unavailable};
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

#[test]
fn the_play_page_plays_in_a_real_browser() {
    if let Err(why) = prerequisites() {
        unavailable("the browser end-to-end run", &why);
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let args = ["--data-dir", data.path().to_str().expect("utf-8 temp path"), "--start-radius", "6"];
    let shard = ShardProcess::start(&args.map(String::from));
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let status = Command::new("node")
        .arg(web_tests_dir().join("e2e/play.mjs"))
        .env("SHARD_URL", format!("http://{}/", shard.listen))
        .env("ADMIN_URL", format!("http://{}/", shard.admin))
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", CHROMIUM)
        .status()
        .expect("run node");
    assert!(
        status.success(),
        "the browser scenario failed ({status}); screenshots in {}",
        artifacts.display()
    );
    assert_eq!(shard.terminate(), Some(0), "the shard stops cleanly after the browser run");
}

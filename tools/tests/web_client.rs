//! The browser client's JavaScript core against the Rust it ports: writes the vectors of
//! `web_vectors` (protocol codec, chunk payloads and cache, movement and steering, dead
//! reckoning, prediction) into a directory and runs `node --test` on
//! tools/web/tests/unit/{protocol,chunk,movement,predict}.test.mjs with `WEB_VECTORS` naming it.
//! Without `node`: a failure under `CI=true`, else a skip line.

mod web_vectors;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The unit tests that read these vectors (the zstd tests have their own generator).
const TESTS: &[&str] = &["protocol.test.mjs", "chunk.test.mjs", "movement.test.mjs", "predict.test.mjs"];

fn vector_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-vectors");
    std::fs::create_dir_all(&dir).expect("vector directory");
    dir
}

fn node_available() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn javascript_client_core_matches_the_rust_vectors() {
    let started = Instant::now();
    let dir = vector_dir();
    web_vectors::util::write(&dir, "protocol.json", &web_vectors::protocol::vectors());
    web_vectors::util::write(&dir, "chunk.json", &web_vectors::chunk::vectors());
    web_vectors::util::write(&dir, "movement.json", &web_vectors::movement::vectors());
    web_vectors::util::write(&dir, "predict.json", &web_vectors::predict::vectors());
    println!("vectors written to {} in {:?}", dir.display(), started.elapsed());
    if !node_available() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "node is required under CI=true");
        println!("SKIP: node is not installed; the JavaScript side was not checked");
        return;
    }
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/tests/unit");
    let status = Command::new("node")
        .arg("--test")
        .args(TESTS.iter().map(|t| unit.join(t)))
        .env("WEB_VECTORS", &dir)
        .status()
        .expect("node runs");
    assert!(status.success(), "node --test failed on the vectors in {}", dir.display());
}

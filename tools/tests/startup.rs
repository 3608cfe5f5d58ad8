//! The shard binary's start: a busy port is reported with its address before the data directory
//! is touched.

mod common;

use common::free_addr;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the shard binary with `args`, which must make it stop on its own; returns its exit code
/// and its stderr.
fn run_until_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shard"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the shard binary");
    let until = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the shard kept running: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("collect stderr");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_busy_game_port_is_named_and_the_data_directory_is_left_alone() {
    let held = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = held.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let admin = free_addr().to_string();
    let args = ["--listen", &listen, "--admin", &admin, "--data-dir", data.to_str().unwrap()];
    let (code, stderr) = run_until_exit(&args);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {listen}")), "{stderr}");
    assert!(!data.join(tools::serve::SQLITE_FILE).exists(), "no database was created or migrated");
}

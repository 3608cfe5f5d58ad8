//! The shard binary's start: a busy port is reported with its address before the data directory
//! is touched, and a second shard on a data directory in use is refused.

mod common;

use common::{ShardProcess, free_addr};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
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

/// The status code of `GET /health`, `None` when the admin port does not answer.
fn health(admin: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&admin, Duration::from_secs(5)).ok()?;
    write!(stream, "GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.get(9..12)?.parse().ok()
}

#[test]
fn a_second_shard_on_the_same_data_directory_is_refused_and_the_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = ShardProcess::start(&["--data-dir".to_string(), data.to_string()]);
    let (listen, admin) = (free_addr().to_string(), free_addr().to_string());
    let (code, stderr) = run_until_exit(&["--listen", &listen, "--admin", &admin, "--data-dir", data]);
    assert_ne!(code, Some(0), "{stderr}");
    let refusal = format!("data directory {data} is in use by another shard (pid {})", first.pid());
    assert!(stderr.contains(&refusal), "{stderr}");
    let until = Instant::now() + Duration::from_secs(60);
    while health(first.admin) != Some(200) {
        assert!(Instant::now() < until, "the first shard's /health does not answer 200");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(first.terminate(), Some(0));
}

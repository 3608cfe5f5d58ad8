//! `--version` of both binaries: the crate version and the git commit the build came from.

use std::process::Command;
use tools::build_info::{COMMIT, VERSION, version_line};

fn version_of(binary: &str) -> String {
    let output = Command::new(binary).arg("--version").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_commit_is_a_short_hash_or_unknown() {
    assert_eq!(VERSION, env!("CARGO_PKG_VERSION"));
    let hash = COMMIT.strip_suffix("-dirty").unwrap_or(COMMIT);
    let is_hash = hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit());
    assert!(is_hash || COMMIT == "unknown", "{COMMIT}");
    assert_eq!(version_line("shard"), format!("shard {VERSION} ({COMMIT})"));
}

#[test]
fn shard_prints_its_version_and_commit() {
    assert_eq!(version_of(env!("CARGO_BIN_EXE_shard")), format!("{}\n", version_line("shard")));
}

#[test]
fn bots_prints_its_version_and_commit() {
    assert_eq!(version_of(env!("CARGO_BIN_EXE_bots")), format!("{}\n", version_line("bots")));
}

#[test]
fn the_config_loader_answers_version_like_help() {
    let err = tools::config::ShardConfig::load(["shard", "--version"], |_| None).unwrap_err();
    assert_eq!(err, tools::config::ConfigError::Flags(format!("{}\n", version_line("shard"))));
}

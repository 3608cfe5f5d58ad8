//! The bot harness against a real shard in process: more bots than the shard's per-address limit
//! all get in, each from its own loopback address; two runs with one accounts file log the same
//! characters in (no new player rows), a larger run extends the file; an accounts file whose names
//! the server knows under other tokens is named in the error.

mod common;

use common::{InProcess, TestDb};
use game::shard::ShardOptions;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tools::harness::{self, Account, AccountsFile, HarnessConfig, HarnessError, SourceIps};

/// Connections the test shard accepts from one address.
const PER_IP: usize = 4;
/// The body of net's HTTP 503 over its per-address limit.
const PER_IP_REFUSAL: &str = "HTTP 503: too many connections from this address";

fn shard(db: &TestDb) -> InProcess {
    let mut opts = ShardOptions::default();
    opts.net.max_connections_per_ip = PER_IP;
    InProcess::start(db.store_config(), opts)
}

/// A run that ends once every bot is in or has failed (the duration only bounds it).
fn config(shard: &InProcess, clients: usize) -> HarnessConfig {
    let mut cfg = HarnessConfig::new(shard.addr, clients);
    cfg.duration = Duration::from_secs(120);
    cfg.end_when_settled = true;
    cfg
}

fn with_accounts(mut cfg: HarnessConfig, path: &Path) -> HarnessConfig {
    cfg.accounts = Some(path.to_path_buf());
    cfg
}

fn accounts_in(path: &Path) -> Vec<Account> {
    AccountsFile::open(path).expect("accounts file").accounts().to_vec()
}

#[test]
fn more_bots_than_the_per_ip_limit_all_get_in_from_their_own_loopback_addresses() {
    let db = TestDb::sqlite();
    let shard = shard(&db);
    let bots = 3 * PER_IP;

    // The limit holds for connections from one address...
    let mut one_address = config(&shard, bots);
    one_address.source_ips = SourceIps::Off;
    let report = harness::run(one_address).unwrap();
    assert_eq!(report.connected, PER_IP as u64, "{report}");
    assert_eq!(report.refusals, BTreeMap::from([(PER_IP_REFUSAL.to_owned(), (bots - PER_IP) as u64)]));

    // ...and never meets bots spread over loopback addresses (the default).
    let report = harness::run(config(&shard, bots)).unwrap();
    assert_eq!((report.connected, report.attempted), (bots as u64, bots as u64), "{report}");
    assert!(report.refusals.is_empty(), "{report}");
    assert_eq!((report.errors, report.unfinished), (0, 0), "{report}");
    assert_eq!(report.shortfall(), None);
    shard.stop();
}

#[test]
fn two_runs_with_one_accounts_file_log_the_same_characters_in() {
    let db = TestDb::sqlite();
    let shard = shard(&db);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.tsv");

    let first = harness::run(with_accounts(config(&shard, 5), &path)).unwrap();
    assert_eq!((first.connected, first.errors), (5, 0), "{first}");
    let written = accounts_in(&path);
    assert_eq!(written.len(), 5, "the file holds every account used");
    assert_eq!(db.players(), 5);

    // Another run: another random name prefix, which the names in the file override.
    let second = harness::run(with_accounts(config(&shard, 5), &path)).unwrap();
    assert_eq!((second.connected, second.errors), (5, 0), "{second}");
    assert_eq!(db.players(), 5, "the second run created no character");
    assert_eq!(accounts_in(&path), written, "the file did not change");

    // A larger run keeps the five and adds two.
    let third = harness::run(with_accounts(config(&shard, 7), &path)).unwrap();
    assert_eq!((third.connected, third.errors), (7, 0), "{third}");
    let grown = accounts_in(&path);
    assert_eq!(&grown[..5], &written[..]);
    assert_eq!(grown.len(), 7);
    assert_eq!(db.players(), 7);
    shard.stop();
}

#[test]
fn an_accounts_file_from_another_server_is_named_when_its_tokens_are_refused() {
    let db = TestDb::sqlite();
    let shard = shard(&db);
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.tsv");
    harness::run(with_accounts(config(&shard, 2), &ours)).unwrap();

    // The same names with other tokens, as another server's file would hold them.
    let theirs = dir.path().join("theirs.tsv");
    let mut text = String::from("# another server's accounts\n");
    for account in accounts_in(&ours) {
        text.push_str(&format!("{}\t{}\n", account.name, "ab".repeat(32)));
    }
    std::fs::write(&theirs, text).unwrap();
    let err = harness::run(with_accounts(config(&shard, 2), &theirs)).unwrap_err();
    let HarnessError::NothingConnected { first_error: Some(first), .. } = &err else {
        panic!("unexpected {err:?}");
    };
    assert!(first.starts_with("closed:4100"), "{first}");
    assert!(first.contains(&format!("the accounts file {} may belong to another server", theirs.display())));
    assert_eq!(db.players(), 2, "nothing created for the refused logins");
    shard.stop();
}

#[test]
fn a_second_run_on_a_held_accounts_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.tsv");
    let _held = AccountsFile::open(&path).unwrap();
    let cfg = with_accounts(HarnessConfig::new("127.0.0.1:9".parse().unwrap(), 1), &path);
    let err = harness::run(cfg).unwrap_err();
    assert!(matches!(err, HarnessError::Accounts(_)), "{err:?}");
    assert!(err.to_string().contains("pass another `--accounts PATH`"), "{err}");
}

//! First logins under stress, on SQLite and on PostgreSQL, over real WebSockets: concurrent first
//! logins of one name make one character; a first login cut at any step keeps the name for the
//! client that chose its token; names that differ only in case or Unicode form are one account;
//! unacceptable names are refused with 4105. The database is checked afterwards: one player per
//! name, a full starter kit each, no orphaned item.

mod common;

use common::{InProcess, Player, TestDb, unique};
use game::shard::{STARTER_KIT, ShardOptions, close};
use net::client::{Client, ClientError};
use net::protocol::{ClientMessage, Hello, SessionToken};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const RACERS: usize = 8;

fn token() -> [u8; 32] {
    SessionToken::random().expect("random token").0
}

/// The close code a failed login ended with.
fn refusal(result: Result<Player, ClientError>) -> Option<u16> {
    match result {
        Ok(_) => None,
        Err(ClientError::Closed(info)) => info.code,
        Err(other) => panic!("login failed without a close code: {other}"),
    }
}

/// Everything stored is `players` characters with a full kit each and nothing orphaned.
fn assert_stored(db: &TestDb, players: i64) {
    assert_eq!(db.players(), players, "player rows");
    assert_eq!(db.items(), players * STARTER_KIT.len() as i64, "one starter kit per player");
    assert_eq!(db.orphaned_items(), 0, "items without their player");
}

fn racing_first_logins_make_one_character(db: &TestDb) {
    let shard = InProcess::start(db.store_config(), ShardOptions::default());
    let name = unique("race");
    let start = Arc::new(Barrier::new(RACERS));
    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            // Half of them spell the name in capitals: the same name.
            let name = if i % 2 == 0 { name.clone() } else { name.to_uppercase() };
            let (addr, start) = (shard.addr, start.clone());
            std::thread::spawn(move || {
                let token = token();
                start.wait();
                let result = Player::connect(addr, &name, token);
                if let Ok(p) = &result {
                    assert_eq!(p.token(), token, "Welcome carries the token the client chose");
                }
                result
            })
        })
        .collect();
    let results: Vec<Result<Player, ClientError>> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    let codes: Vec<Option<u16>> = results.into_iter().map(refusal).collect();
    assert_eq!(winners, 1, "exactly one login wins the name: {codes:?}");
    assert!(codes.iter().flatten().all(|&c| c == close::WRONG_TOKEN), "the others get 4100: {codes:?}");
    shard.stop();
    assert_stored(db, 1);
}

fn a_cut_first_login_keeps_the_name(db: &TestDb) {
    let shard = InProcess::start(db.store_config(), ShardOptions::default());
    // Cut before the Hello is read, while the name loads, while the character is stored, after
    // Welcome: the delays walk through the login's steps (a tick is 50 ms).
    let delays_ms = [0, 1, 5, 20, 50, 100, 200, 400];
    let logins: Vec<(String, [u8; 32])> =
        delays_ms.iter().map(|d| (unique(&format!("cut{d}_")), token())).collect();
    for ((name, token), delay) in logins.iter().zip(delays_ms) {
        let mut c = Client::connect_raw(shard.addr, Duration::from_secs(20)).expect("connect");
        c.send(&ClientMessage::Hello(Hello { name: name.clone(), token: SessionToken(*token) })).unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        drop(c);
    }
    for (name, token) in &logins {
        let p = Player::connect(shard.addr, name, *token).expect("the same client logs in again");
        assert_eq!(p.token(), *token);
        let other = Player::connect(shard.addr, name, self::token());
        assert_eq!(refusal(other), Some(close::WRONG_TOKEN), "{name} is held for its token only");
    }
    shard.stop();
    assert_stored(db, logins.len() as i64);
}

fn one_name_in_any_case_or_form(db: &TestDb) {
    let shard = InProcess::start(db.store_config(), ShardOptions::default());
    let base = unique("zoë");
    let token = token();
    drop(Player::connect(shard.addr, &base, token).expect("first login"));
    for spelling in [base.to_uppercase(), base.replace('ë', "e\u{308}")] {
        assert_eq!(refusal(Player::connect(shard.addr, &spelling, self::token())), Some(close::WRONG_TOKEN));
        // The same character (one player row, checked below), whoever spells it how.
        drop(Player::connect(shard.addr, &spelling, token).expect("the owner in another spelling"));
    }
    for bad in ["\u{200B}", "\u{301}\u{301}", "admin\u{202E}", "a\u{2028}b", "bo  b"] {
        assert_eq!(
            refusal(Player::connect(shard.addr, bad, self::token())),
            Some(close::BAD_NAME),
            "{bad:?}"
        );
    }
    shard.stop();
    assert_stored(db, 1);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&crate::common::TestDb::sqlite()); })*
        }
        mod postgres {
            $(#[test] fn $name() {
                let Some(db) = crate::common::TestDb::postgres() else { return };
                super::$name(&db);
            })*
        }
    };
}

on_both_backends!(
    racing_first_logins_make_one_character,
    a_cut_first_login_keeps_the_name,
    one_name_in_any_case_or_form
);

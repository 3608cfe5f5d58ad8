//! Local chat over real sockets against a shard in process: two players near each other hear
//! each other (the speaker gets its own line back with its request id), a third far away hears
//! neither and is not heard; a line too long, one with a bidirectional override, a blank one
//! and one past the rate limit are refused with their codes and request ids, and nobody hears
//! them.

mod common;

use common::{InProcess, Player, TestDb, tiles, unique};
use game::shard::ShardOptions;
use game::wire::error as code;
use net::protocol::{Chat, ClientMessage, SessionToken};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn start(db: &TestDb) -> InProcess {
    InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() })
}

/// Logs a new player in and out, so it exists with a stored position; returns its name and token.
fn create(shard: &InProcess, prefix: &str) -> (String, [u8; 32]) {
    let name = unique(prefix);
    let token = SessionToken::random().unwrap().0;
    let mut p = Player::connect(shard.addr, &name, token).expect("first login");
    assert!(p.pump_until(WAIT, |p| p.position().is_some()), "a first frame");
    (name, token)
}

fn login(shard: &InProcess, (name, token): &(String, [u8; 32])) -> Player {
    let mut p = Player::connect(shard.addr, name, *token).expect("login");
    assert!(p.pump_until(WAIT, |p| p.position().is_some()), "a first frame");
    p
}

/// Sends a chat line; returns its request id.
fn say(p: &mut Player, text: &str) -> u32 {
    let line: Chat = p.game.chat_request(text);
    p.client.send(&ClientMessage::Chat(line.clone())).expect("send chat");
    line.request
}

/// Pumps `p` until it has heard a line with `text`.
fn hears(p: &mut Player, text: &str) -> bool {
    p.pump_until(WAIT, |p| p.game.chat().lines().any(|l| l.text == text))
}

/// The texts `p` heard, oldest first.
fn heard(p: &Player) -> Vec<String> {
    p.game.chat().lines().map(|l| l.text.clone()).collect()
}

/// Moves the stored position of `who` to `dx` tiles east of `of`'s.
fn place(db: &TestDb, who: &str, of: &str, dx: i32) {
    let id = |name: &str| format!("(SELECT id FROM players WHERE name = '{name}')");
    let sql = format!(
        "UPDATE player_positions SET x = (SELECT x FROM player_positions WHERE id = {a}) + {d}, \
         y = (SELECT y FROM player_positions WHERE id = {a}) WHERE id = {me}",
        a = id(of),
        d = dx * 256,
        me = id(who)
    );
    db.execute(&sql);
}

#[test]
fn players_near_each_other_hear_each_other_and_refused_lines_reach_nobody() {
    let db = TestDb::sqlite();
    let shard = start(&db);
    let accounts = [create(&shard, "ann"), create(&shard, "bob"), create(&shard, "cid")];
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    // Bob stands 3 tiles east of Ann, Cid 60 (the shipped chat radius is 24 tiles).
    place(&db, &accounts[1].0, &accounts[0].0, 3);
    place(&db, &accounts[2].0, &accounts[0].0, 60);
    let shard = start(&db);
    let [mut ann, mut bob, mut cid] = accounts.each_ref().map(|acc| login(&shard, acc));
    let (a, b, c) = (ann.position().unwrap(), bob.position().unwrap(), cid.position().unwrap());
    assert!(tiles(a, b) < 10.0, "Bob is near Ann: {} tiles", tiles(a, b));
    assert!(tiles(a, c) > 40.0 && tiles(b, c) > 40.0, "Cid is far: {} tiles", tiles(a, c));

    // Ann speaks: she gets her line back with her request id, Bob hears it without one.
    let hello = say(&mut ann, "  hello bob  ");
    assert!(hears(&mut ann, "hello bob"), "the speaker's confirmation, trimmed; errors {:?}", ann.errors);
    let own = ann.game.chat().last().cloned().unwrap();
    assert_eq!((own.request, own.speaker, own.name.as_str()), (hello, ann.me(), accounts[0].0.as_str()));
    assert!(hears(&mut bob, "hello bob"));
    let to_bob = bob.game.chat().last().cloned().unwrap();
    assert_eq!((to_bob.request, to_bob.speaker, to_bob.tick), (0, ann.me(), own.tick));
    // Bob answers; Ann hears him.
    say(&mut bob, "hi ann");
    assert!(hears(&mut ann, "hi ann"));

    // Cid speaks after both lines were delivered: his own line reaches him alone, after nothing.
    say(&mut cid, "anyone here?");
    assert!(hears(&mut cid, "anyone here?"));
    assert_eq!(heard(&cid), ["anyone here?"], "Cid heard neither Ann nor Bob");
    // Bob's next line is delivered after Cid's would have been: he never heard Cid.
    say(&mut bob, "quiet, isn't it");
    assert!(hears(&mut bob, "quiet, isn't it"));
    assert_eq!(heard(&bob), ["hello bob", "hi ann", "quiet, isn't it"]);

    // Refusals, each with its code and request id.
    let long = say(&mut ann, &"a".repeat(201));
    let spoof = say(&mut ann, "gg \u{202E}exe.txt");
    let blank = say(&mut ann, " \u{200B} ");
    // Then more lines at once than the bucket holds (5 per 10 s): the last is too fast.
    let burst: Vec<u32> = (0..6).map(|n| say(&mut ann, &format!("line {n}"))).collect();
    let last = *burst.last().unwrap();
    assert!(
        ann.pump_until(WAIT, |p| p.errors.iter().any(|e| e.1 == last)),
        "the burst's last line is refused; errors {:?}",
        ann.errors
    );
    let refusal = |req: u32| ann.errors.iter().find(|e| e.1 == req).map(|e| e.0);
    assert_eq!(refusal(long), Some(code::CHAT_TOO_LONG), "{:?}", ann.errors);
    assert_eq!(refusal(spoof), Some(code::CHAT_BIDI_CONTROL), "{:?}", ann.errors);
    assert_eq!(refusal(blank), Some(code::CHAT_EMPTY), "{:?}", ann.errors);
    assert_eq!(refusal(last), Some(code::CHAT_TOO_FAST), "{:?}", ann.errors);
    let said = burst.iter().filter(|&&r| refusal(r).is_none()).count();
    assert!((1..=5).contains(&said), "a full bucket's worth at most: {said}");
    assert!(burst.iter().filter_map(|&r| refusal(r)).all(|c| c == code::CHAT_TOO_FAST));

    // Bob hears exactly the lines Ann was allowed to say, none of the refused ones.
    say(&mut bob, "done");
    assert!(hears(&mut bob, "done"));
    let lines = heard(&bob);
    let from_ann: Vec<&String> = lines.iter().filter(|t| t.starts_with("line ")).collect();
    assert_eq!(from_ann.len(), said, "{lines:?}");
    assert!(lines.iter().all(|t| !t.contains('\u{202E}') && !t.starts_with("aaaa")), "{lines:?}");
    drop((ann, bob, cid));
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
}

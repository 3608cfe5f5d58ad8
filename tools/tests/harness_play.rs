//! The bot harness in gameplay mode against a real shard in process: a few bots walk and handle
//! items for a while (moves between inventory and bag, drops, pickups, a box placed, opened,
//! filled, emptied, closed and picked up); moves, drops, pickups and stashing in the box get
//! done, refusals are counted by code rather than as errors, no harness error occurs, and what
//! the database holds after the shard stopped is exactly the new characters' starter kits (a
//! placed box counted as its item): nothing made, nothing lost. In survival mode a few bots play
//! the whole loop: craft clubs, equip them, eat (hunger rises every second in the test's
//! content), chat, attack one another, gather from bushes and rocks, craft an axe from branches
//! and stones and chop trees with it, plant seeds and harvest the crops (ripe in seconds in the
//! test's content); every kind of action gets done, no harness error occurs, and storage holds
//! the logs chopped.

mod common;

use common::{InProcess, TestDb};
use game::Content;
use game::shard::ShardOptions;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tools::harness::{self, Action, Args, HarnessConfig, Mix, Mode, SurvivalAction};

/// Bots in the run (they start within 3 tiles of one another, so they meet each other's piles).
const CLIENTS: usize = 8;
/// How long they play: about ten actions each.
const PLAY: Duration = Duration::from_secs(30);

/// Item counts by (kind, quality) in storage, a placed box counted as the item it folds back
/// into (placing a box turns the item into an object; picking it up, back into an item).
fn stored_items(db: &TestDb, content: &Content) -> BTreeMap<(i64, i64), i64> {
    let mut totals = db.totals(
        "SELECT CAST(kind AS BIGINT), CAST(quality AS BIGINT), CAST(SUM(count) AS BIGINT) \
         FROM items GROUP BY kind, quality",
    );
    let objects = db.totals(
        "SELECT CAST(kind AS BIGINT), CAST(quality AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM objects WHERE holds_items GROUP BY kind, quality",
    );
    for ((object_kind, quality), n) in objects {
        let object = u32::try_from(object_kind).ok().and_then(|k| content.object_by_id(k));
        // Piles fold into nothing: their items are in `items` already.
        if let Some(item) =
            object.and_then(|o| o.becomes.as_deref()).and_then(|name| content.item_named(name))
        {
            *totals.entry((i64::from(item.id), quality)).or_default() += n;
        }
    }
    totals
}

/// The starter kits of `players` new characters, by (kind, quality).
fn starter_kits(content: &Content, players: i64) -> BTreeMap<(i64, i64), i64> {
    let mut kits = BTreeMap::new();
    for stack in &content.starter_kit {
        let key = (i64::from(stack.kind), i64::from(stack.quality));
        *kits.entry(key).or_default() += i64::from(stack.count) * players;
    }
    kits
}

#[test]
fn gameplay_bots_handle_items_and_storage_keeps_exactly_what_they_started_with() {
    let db = TestDb::sqlite();
    let content = Content::builtin();
    let shard = InProcess::start(db.store_config(), ShardOptions { bots: 0, ..ShardOptions::default() });
    let mut cfg = HarnessConfig::new(shard.addr, CLIENTS);
    cfg.mode = Mode::Gameplay;
    cfg.duration = PLAY;
    // The bots' decisions are seeded (SEED=n tries other ones); their timing is the machine's.
    cfg.seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(17);
    let report = harness::run(cfg).expect("the bots ran");
    let (shutdown, _) = shard.stop();
    assert!(shutdown.complete(), "{shutdown}");

    assert_eq!((report.connected, report.errors), (CLIENTS as u64, 0), "{report}");
    assert_eq!(report.mode, Mode::Gameplay);
    for kind in ["move", "drop", "pickup", "place", "open", "stash"] {
        let done = report.item_actions.get(kind).map_or(0, |c| c.done);
        assert!(done > 0, "no {kind} done:\n{report}");
    }
    let refused: u64 = report.item_actions.values().map(|c| c.refused).sum();
    assert_eq!(refused, report.item_refused.values().sum::<u64>(), "every refusal has its code");
    assert!(report.item_actions_done <= report.item_actions_sent, "{report}");
    let c = report.container_messages;
    assert!(c.contents >= 2 * CLIENTS as u64, "inventories and bags shown: {c:?}");
    assert!(c.changes > 0, "{c:?}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["mode"], "gameplay");
    assert!(json["item_refused"].is_object() && json["item_actions"]["stash"]["done"].is_u64());
    assert!(report.to_string().contains("item actions: "), "{report}");

    // Nothing made, nothing lost: storage holds the new characters' starter kits, no more, no less.
    let players = db.players();
    assert_eq!(players, CLIENTS as i64);
    assert_eq!(stored_items(&db, &content), starter_kits(&content, players), "{report}");
    assert_eq!(db.orphaned_items(), 0);
}

/// Bots in the survival run.
const SURVIVORS: usize = 6;
/// How long they play: about twenty-five actions each.
const SURVIVE: Duration = Duration::from_secs(60);
/// The weights the survival bots play by (the others keep their defaults).
const TEST_MIX: &str = "chat=20,attack=30,eat=20,gather=40,chop=60,plant=30,harvest=60";

/// Sets the seconds of each growth stage of object kind `name` (all but the last).
fn grow_fast(content: &mut Content, name: &str, seconds: &[u32]) {
    let kind = content.objects.iter_mut().find(|o| o.name == name).expect("shipped object kind");
    let growth = kind.growth.as_mut().expect("a kind that grows");
    assert_eq!(growth.seconds.len(), seconds.len(), "{name}: one duration per stage but the last");
    growth.seconds = seconds.to_vec();
}

/// How many items of the shipped kind `name` storage holds.
fn content_item(db: &TestDb, name: &str) -> i64 {
    let kind = Content::builtin().item_named(name).expect("shipped item kind").id;
    let totals = db.totals(&format!(
        "SELECT CAST(kind AS BIGINT), CAST(0 AS BIGINT), CAST(SUM(count) AS BIGINT) FROM items \
         WHERE kind = {kind} GROUP BY kind"
    ));
    totals.values().sum()
}

#[test]
fn survival_bots_play_the_whole_loop() {
    let db = TestDb::sqlite();
    let mut content = Content::builtin();
    // Hunger rises one point a second (36 s in the shipped content), so the bots get hungry; a
    // crop is ripe 2 s after it was planted (an hour), a bush laden again 10 s after it was
    // picked (15 minutes), so the bots harvest what they planted and pick bushes more than once;
    // rocks lie on grass and forest floor too (only on dirt, sand and in caves), so that stones
    // for an axe are near the start.
    content.stats.hunger_seconds = 1;
    grow_fast(&mut content, "crop", &[1, 1]);
    grow_fast(&mut content, "bush", &[10]);
    let rock = content.objects.iter_mut().find(|o| o.name == "rock").expect("shipped rock kind");
    rock.density.extend([("grass".to_owned(), 8), ("forest_floor".to_owned(), 8)]);
    let content = Arc::new(content);
    let opts = ShardOptions { bots: 0, ..ShardOptions::default() };
    let shard = InProcess::start_with_content(db.store_config(), opts, content.clone());
    let mut cfg = HarnessConfig::new(shard.addr, SURVIVORS);
    cfg.mode = Mode::Survival;
    cfg.duration = SURVIVE;
    cfg.content = content;
    // Chopping takes the longest chain (stones from a rock, an axe crafted, moved into the
    // hand), harvesting a crop planted before: both are picked most whenever they are possible.
    cfg.mix = TEST_MIX.parse().expect("a valid mix");
    let cfg_mix = cfg.mix;
    cfg.seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(17);
    let report = harness::run(cfg).expect("the bots ran");
    let (shutdown, _) = shard.stop();
    assert!(shutdown.complete(), "{shutdown}");

    assert_eq!((report.connected, report.errors), (SURVIVORS as u64, 0), "{report}");
    assert_eq!(report.mode, Mode::Survival);
    let log = content_item(&db, "log");
    assert!(log > 0, "the logs chopped are stored:\n{report}");
    let done = |kind: &str| report.survival_actions.get(kind).map_or(0, |c| c.done);
    for action in SurvivalAction::ALL.into_iter().filter(|a| cfg_mix.weight(*a) > 0) {
        assert!(done(action.name()) > 0, "no {} done:\n{report}", action.name());
    }
    let s = &report.survival;
    assert!(s.craft_progress.get("started").copied().unwrap_or(0) >= done("craft"), "{report}");
    assert_eq!(s.craft_progress.get("done").copied(), Some(done("craft")), "{report}");
    assert!(s.damage_dealt > 0, "attacks landed, so their targets lost health: {report}");
    assert!(s.chat_heard >= done("chat"), "every line said was heard at least by its speaker: {report}");
    assert!(s.respawns <= s.deaths, "{report}");
    let refused: u64 = report.survival_actions.values().map(|c| c.refused).sum();
    assert_eq!(refused, report.survival_refused.values().sum::<u64>(), "every refusal has its code");
    assert!(report.item_actions.is_empty(), "no item actions of gameplay mode: {report}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["mode"], "survival");
    assert!(json["survival_actions"]["eat"]["done"].is_u64() && json["survival"]["damage_dealt"].is_u64());
    let text = report.to_string();
    assert!(text.contains("survival actions: ") && text.contains("damage dealt"), "{text}");
}

#[test]
fn the_mode_flag_defaults_to_move_and_takes_gameplay() {
    let parse = |extra: &[&str]| {
        let args = ["bots", "--server", "127.0.0.1:9"].iter().chain(extra).copied();
        Args::try_parse_args(args).and_then(Args::into_config).map(|c| c.mode)
    };
    assert_eq!(parse(&[]).unwrap(), Mode::Move);
    assert_eq!(parse(&["--mode", "gameplay"]).unwrap(), Mode::Gameplay);
    assert_eq!(parse(&["--mode", "survival"]).unwrap(), Mode::Survival);
    assert!(parse(&["--mode", "dance"]).is_err());
}

#[test]
fn the_mix_flag_weighs_survival_actions_and_only_those() {
    let parse = |extra: &[&str]| {
        let args = ["bots", "--server", "127.0.0.1:9"].iter().chain(extra).copied();
        Args::try_parse_args(args).and_then(Args::into_config).map(|c| c.mix)
    };
    assert_eq!(parse(&["--mode", "survival"]).unwrap(), Mix::default());
    let mix = parse(&["--mode", "survival", "--mix", "attack=0,chat=50"]).unwrap();
    assert_eq!(
        mix.to_string(),
        "craft=30,equip=30,eat=40,chat=50,attack=0,gather=30,chop=30,plant=15,harvest=30,travel=0"
    );
    let err = parse(&["--mode", "survival", "--mix", "dance=1"]).unwrap_err().to_string();
    assert!(err.contains("no action `dance`"), "{err}");
    let err = parse(&["--mode", "gameplay", "--mix", "eat=1"]).unwrap_err().to_string();
    assert!(err.contains("--mix: applies to --mode survival only"), "{err}");
}

//! Server-side bots playing the survival loop in a map simulation (items, growth and the bot
//! loop installed) on SQLite, with a hand-driven clock and hunger rising every second: over a
//! few simulated minutes bots work bushes and rocks, craft, fell trees with the axes they made,
//! plant, eat and fight, judged by the same systems as players. What they carry is never
//! stored: after the writer is flushed, no bot inventory has a stored item, while everything
//! they dropped is stored in its pile.

mod map_common;

use game::content::ContentTexts;
use game::gameplay::{self, bots::BotMix, bots::LoopCounters};
use game::geom::{CHUNK_UNITS, map_id};
use game::items::bot_holder;
use game::{Content, Controller};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use store::Container;

const T0: u64 = 1_700_000_000_000;
const BOTS: usize = 40;

/// The shipped content with no blocking terrain and hunger rising every second.
fn content() -> Content {
    let terrain = ContentTexts::BUILTIN.terrain.replace("blocks = true", "blocks = false");
    let world = ContentTexts::BUILTIN.world.replace("hunger_seconds = 36", "hunger_seconds = 1");
    Content::from_texts(ContentTexts { terrain: &terrain, world: &world, ..ContentTexts::BUILTIN }).unwrap()
}

#[test]
fn bots_play_the_loop_and_nothing_they_carry_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut sim, items, store) = map_common::map_with_items(&dir, Arc::new(content()));
    gameplay::growth::install(&mut sim).unwrap();
    let mix: BotMix = "gather=40,chop=25,craft=15,plant=10,fight=5,wander=5".parse().unwrap();
    let looped = gameplay::bots::install(&mut sim, items, mix).unwrap();
    let centre = (4 * CHUNK_UNITS, 4 * CHUNK_UNITS);
    let mut now = T0;
    let bots: Vec<_> = (0..BOTS)
        .map(|i| {
            let (dx, dy) = ((i % 8) as i32 * 300 - 1200, (i / 8) as i32 * 300 - 750);
            sim.spawn_character(Controller::Bot, centre.0 + dx, centre.1 + dy)
        })
        .collect();
    for c in 3..=5 {
        map_common::tick_until_resident(&mut sim, (c * CHUNK_UNITS, centre.1), now);
        map_common::tick_until_resident(&mut sim, (centre.0, c * CHUNK_UNITS), now);
    }
    // At least four simulated minutes at 20 ticks a second, and on until a tree has been felled
    // and every step taken: the store's answers take wall time, so on a busy machine the same
    // chain (gather, craft, equip, chop) spans more simulated ticks. Half an hour is the cap.
    let stump = sim.content.object("stump").unwrap().id;
    let done = |sim: &game::MapSim| {
        let steps = &sim.world.resource(looped).counters.steps;
        let took = |name| LoopCounters::NAMES.iter().position(|&n| n == name).is_some_and(|i| steps[i] > 0);
        let felled = sim.world.column(sim.keys.object).values().iter().any(|o| o.kind == stump);
        felled && ["work", "craft", "eat", "plant", "fight", "equip"].into_iter().all(took)
    };
    for second in 0..30 * 60 {
        if second >= 4 * 60 && done(&sim) {
            break;
        }
        for _ in 0..20 {
            now += 50;
            sim.tick(now);
        }
    }
    let counters: LoopCounters = sim.world.resource(looped).counters.clone();
    let steps: BTreeMap<&str, u64> = LoopCounters::NAMES.into_iter().zip(counters.steps).collect();
    for step in ["work", "craft", "eat", "plant", "fight", "equip"] {
        assert!(steps[step] > 0, "no bot took a {step} step: {steps:?}");
    }
    let m = sim.world.resource(items);
    let c = sim.content.clone();
    let held = |name: &str| -> u64 {
        let kind = c.item_named(name).unwrap().id;
        bots.iter()
            .flat_map(|b| m.world.items_in(Container::Player(bot_holder(b.index()))))
            .filter(|i| i.kind == kind)
            .map(|i| u64::from(i.count))
            .sum()
    };
    assert!(held("stone") + held("branch") > 0, "bots gathered: {steps:?}");
    assert!(m.counters.done > 0);
    let refused: u64 = m.counters.bot_refused.values().sum();
    assert!(m.counters.refused.is_empty(), "no player refusals: there are no players");
    assert!(
        refused < m.counters.done,
        "most bot steps succeed: {:?} of {}",
        m.counters.bot_refused,
        m.counters.done
    );
    drop(m);
    map_common::flush_until_idle(&store);
    // A felled tree's stump is stored with the logs it gave (one transaction).
    let mut stumps = 0;
    for (cx, cy) in (0..8).flat_map(|cx| (0..8).map(move |cy| (cx, cy))) {
        let key = store::ChunkKey { map: map_id(0, 0), cx, cy };
        let chunk = store.loader().load_chunk(key).unwrap().wait(Duration::from_secs(30)).unwrap();
        stumps += chunk.objects.iter().filter(|o| o.kind == stump).count();
    }
    assert!(stumps > 0, "bots felled trees: {steps:?}");
    for b in &bots {
        let stored = store.loader().load_items(Container::Player(bot_holder(b.index()))).unwrap();
        let stored = stored.wait(Duration::from_secs(30)).unwrap();
        assert!(stored.items.is_empty(), "bot {} has stored items: {:?}", b.index(), stored.items);
    }
}

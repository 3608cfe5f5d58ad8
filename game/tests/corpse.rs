//! Death with items, on a map simulation with the items feature: what the player carried goes
//! into a corpse in one transaction (memory and store agree, nothing lost, nothing doubled),
//! the corpse can be looted, and once its time is up and it is empty it vanishes; what a
//! player holds in its hand is what it fights with.

mod map_common;

use engine::{Entity, ResourceKey};
use game::combat::Wielded;
use game::gameplay::items::{ItemRequest, MapItems};
use game::geom::CHUNK_UNITS;
use game::items::{EquipSlot, Source, Target};
use game::stats::{Experience, Vitals};
use game::{Content, MapSim, Order};
use map_common::{enter_player, flush_until_idle, map_with_items, tick_until_resident};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Container, ItemRecord, Store};

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
const PLAYER: i64 = 1;

struct Map {
    sim: MapSim,
    items: ResourceKey<MapItems>,
    store: Arc<Store>,
    me: Entity,
    now: u64,
}

/// One player holding a club (slot 0), 10 berries (slot 1) and a bag with 4 stones in it.
fn map(dir: &tempfile::TempDir) -> (Map, Vec<ItemRecord>) {
    let content = Arc::new(Content::builtin());
    let (mut sim, items, store) = map_with_items(dir, content.clone());
    let kind = |n: &str| content.item_named(n).unwrap().id;
    let at =
        |id, k, count, container, slot| ItemRecord { id, kind: kind(k), quality: 20, count, container, slot };
    let p = Container::Player(PLAYER);
    let kit = vec![
        at(100, "club", 1, p, 0),
        at(101, "berries", 10, p, 1),
        at(102, "bag", 1, p, 2),
        at(103, "stone", 4, Container::Item(102), 0),
    ];
    let me = enter_player((&mut sim, items, &store), (PLAYER, "doomed"), &kit, (C, C));
    tick_until_resident(&mut sim, (C, C), 10_000);
    (Map { sim, items, store, me, now: 10_000 }, kit)
}

impl Map {
    fn until(&mut self, mut done: impl FnMut(&Map) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < Duration::from_secs(60), "condition never reached");
            self.now += 50;
            self.sim.tick(self.now);
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn corpses(&self) -> Vec<Entity> {
        let corpse = self.sim.content.corpse_kind().unwrap().id;
        self.sim
            .objects_near(C, C, 4 * 256)
            .into_iter()
            .filter(|&(_, k)| k == corpse)
            .map(|(e, _)| e)
            .collect()
    }

    fn object_id(&self, e: Entity) -> i64 {
        self.sim.world.column(self.sim.keys.object).get(e).unwrap().id
    }

    fn wielded(&self) -> Wielded {
        *self.sim.world.column(self.sim.keys.wielded).get(self.me).unwrap()
    }

    fn flush(&self) {
        flush_until_idle(&self.store);
    }
}

#[test]
fn the_hand_decides_the_weapon_and_a_death_leaves_everything_in_a_lootable_corpse() {
    let dir = tempfile::tempdir().unwrap();
    let (mut m, kit) = map(&dir);
    let rules = m.sim.content.item_rules;
    assert_eq!(m.wielded().weapon, m.sim.content.combat.fist, "bare hands");
    let club = m.sim.content.item_named("club").unwrap().weapon.unwrap();
    let hand = Target::slot(Container::Player(PLAYER), EquipSlot::Hand.slot(&rules));
    let equip = ItemRequest::Move {
        player: PLAYER,
        request: 1,
        from: Source::new(Container::Player(PLAYER), 0),
        to: hand,
        count: 1,
    };
    m.sim.world.resource_mut(m.items).request(equip);
    m.until(|m| m.wielded().weapon == club);
    assert_eq!(m.wielded().quality, 20);

    // Starve to death: health 1 at the hunger limit.
    let stats = m.sim.content.stats;
    let mut v = Vitals::rested(&stats);
    (v.hunger, v.health) = (stats.hunger_limit, 1);
    assert!(m.sim.set_stats(m.me, v, Experience::default()));
    m.until(|m| !m.corpses().is_empty());
    let corpse = m.corpses()[0];
    let object = m.object_id(corpse);
    {
        let world = &m.sim.world.resource(m.items).world;
        assert_eq!(world.items_in(Container::Player(PLAYER)).count(), 0, "nothing left on the dead");
        let mut inside: Vec<(i64, u32)> =
            world.items_in(Container::Object(object)).map(|i| (i.id, i.slot)).collect();
        inside.sort_unstable();
        assert_eq!(inside, [(100, 24), (101, 1), (102, 2)], "slot for slot, the club from the hand");
        assert_eq!(world.items_in(Container::Item(102)).count(), 1, "the bag keeps its stones");
    }
    m.flush();
    let mut db = m.store.connect().unwrap();
    assert!(db.load_items(Container::Player(PLAYER)).unwrap().items.is_empty());
    let stored = db.load_items(Container::Object(object)).unwrap().items;
    let mut ids: Vec<i64> = stored.iter().map(|i| i.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, kit.iter().map(|i| i.id).collect::<Vec<_>>(), "every item once, in the corpse");

    // Back to life after the delay, with nothing; loot the own corpse: open it, take all.
    m.until(|m| m.sim.stats(m.me).unwrap().0.health > 0);
    assert!(m.sim.set_order(m.me, Order::Interact { target: corpse, verb: 0 }));
    m.until(|m| m.sim.order(m.me).unwrap().current == Order::Idle);
    for (request, slot) in [(10, 24), (11, 1), (12, 2)] {
        let from = Source::new(Container::Object(object), slot);
        let to = Target::any(Container::Player(PLAYER));
        m.sim.world.resource_mut(m.items).request(ItemRequest::Move {
            player: PLAYER,
            request,
            from,
            to,
            count: if slot == 1 { 10 } else { 1 },
        });
    }
    m.until(|m| m.sim.world.resource(m.items).world.items_in(Container::Object(object)).count() == 0);
    let outbox = m.sim.world.resource_mut(m.items).take_outbox();
    let errors: Vec<_> =
        outbox.iter().filter(|(_, msg)| matches!(msg, net::protocol::ServerMessage::Error(_))).collect();
    assert!(errors.is_empty(), "{errors:?}");

    // Emptied and past its time: it vanishes, and the store forgets it.
    let lasts = u64::from(m.sim.content.combat.corpse_seconds) * 1000;
    m.now += lasts;
    m.until(|m| m.corpses().is_empty());
    m.flush();
    let mut db = m.store.connect().unwrap();
    let back = db.load_items(Container::Player(PLAYER)).unwrap().items;
    assert_eq!(back.len(), 4, "all four items back with the player");
}

#[test]
fn a_bots_corpse_holds_what_it_carried_and_vanishes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut m, _) = map(&dir);
    let bot = m.sim.spawn_character(game::Controller::Bot, C + 2 * 256, C);
    let holder = game::items::bot_holder(bot.index());
    let stones = m.sim.content.item_named("stone").unwrap().id;
    {
        let mut items = m.sim.world.resource_mut(m.items);
        items.enter_bot(bot);
        let mut next = 50_000;
        let mut ids = || {
            next += 1;
            Some(next)
        };
        let stack = game::items::Stack { kind: stones, quality: 12, count: 7 };
        let given = items.world.give(Target::any(Container::Player(holder)), stack, &mut ids).unwrap();
        assert!(given.tx.ops.is_empty(), "a bot's inventory is not stored");
    }
    let stats = m.sim.content.stats;
    let mut v = Vitals::rested(&stats);
    (v.hunger, v.health) = (stats.hunger_limit, 1);
    assert!(m.sim.set_stats(bot, v, Experience::default()));
    m.until(|m| !m.corpses().is_empty());
    let corpse = m.corpses()[0];
    let record = m.sim.world.column(m.sim.keys.object).get(corpse).cloned().unwrap();
    assert_eq!(record.stage, game::gameplay::items::BOT_CORPSE, "clients can tell a bot's corpse");
    m.flush();
    let mut db = m.store.connect().unwrap();
    let stored = db.load_items(Container::Object(record.id)).unwrap().items;
    assert_eq!(stored.iter().map(|i| (i.kind, i.count)).collect::<Vec<_>>(), [(stones, 7)], "stored whole");
    assert!(!m.sim.content.combat.corpse_items_despawn, "players' corpses keep their items");

    // Its time up, it vanishes with the stones, in memory and in the store.
    m.now += u64::from(m.sim.content.combat.corpse_seconds) * 1000;
    m.until(|m| m.corpses().is_empty());
    assert!(m.sim.world.resource(m.items).world.container(Container::Object(record.id)).is_none());
    m.flush();
    let mut db = m.store.connect().unwrap();
    assert!(db.load_items(Container::Object(record.id)).unwrap().items.is_empty());
}

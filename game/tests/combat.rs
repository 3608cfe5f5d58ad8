//! Combat and death in a map simulation with a hand-driven clock: an attacker walks into its
//! weapon's reach and hits on the cooldown, gaining experience, until the
//! target dies; the dead do nothing and come back after the respawn delay, rested, at a respawn
//! point; a starving character dies too; an attack on an object is refused; a living character
//! is in the way of others, a dead one is not (its corpse must be reachable).

mod map_common;

use engine::Entity;
use game::combat::damage;
use game::content::ContentTexts;
use game::geom::CHUNK_UNITS;
use game::orders::Impossible;
use game::stats::{Experience, Vitals};
use game::{Content, Controller, MapSim, Order, Outcome};
use std::sync::Arc;

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;

fn sim(dir: &tempfile::TempDir) -> MapSim {
    map_common::plain_map(dir, Arc::new(Content::builtin())).0
}

fn health(s: &MapSim, e: Entity) -> u16 {
    s.stats(e).unwrap().0.health
}

#[test]
fn hits_land_on_the_cooldown_until_the_target_dies_and_it_comes_back_later() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let r = s.content.character.radius;
    let (rules, combat) = (s.content.stats, s.content.combat);
    let a = s.spawn_character(Controller::Player(1), C, C);
    let b = s.spawn_character(Controller::Player(2), C + 2 * r + combat.fist.range, C);
    let point = (C - 5 * 256, C + 3 * 256);
    s.world.resource_mut(s.deaths).set_points(Arc::new(vec![point]));
    assert!(s.set_order(a, Order::Attack { target: b }));
    let (mut now, mut tick) = (0u64, 0u64);
    let mut hits = Vec::new();
    let mut last = health(&s, b);
    while s.order(a).unwrap().current != Order::Idle {
        tick += 1;
        now += 50;
        s.tick(now);
        let h = health(&s, b);
        if h < last {
            hits.push((tick, last - h));
            last = h;
        }
        assert!(tick < 20_000, "the fight never ended");
    }
    assert_eq!(last, 0, "the target died");
    assert_eq!(s.order(a).unwrap().last, Some((Order::Attack { target: b }, Outcome::Done)));
    // One hit per cooldown (as long as stamina lasts: a tired attacker waits for it).
    let gaps: Vec<u64> = hits.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(gaps.iter().all(|&g| g >= u64::from(combat.fist.cooldown_ticks)), "{gaps:?}");
    assert!(gaps.contains(&u64::from(combat.fist.cooldown_ticks)), "hits come on the cooldown: {gaps:?}");
    // Each hit as the formula says for the experience the attacker had then.
    for (n, &(_, dealt)) in hits.iter().enumerate() {
        let xp = combat.hit_experience * n as u32;
        let full = damage(&combat.fist, combat.fist_quality, xp);
        assert!(dealt == full || n == hits.len() - 1, "hit {n}: {dealt} against {full}");
    }
    let (_, xp) = s.stats(a).unwrap();
    assert_eq!(xp.combat, combat.hit_experience * hits.len() as u32);

    // The dead do nothing: an order ends at once.
    assert!(s.set_order(b, Order::MoveTo { x: C, y: C + 1000 }));
    now += 50;
    s.tick(now);
    assert_eq!(s.order(b).unwrap().last.map(|l| l.1), Some(Outcome::Impossible(Impossible::Dead)));
    // Back after the delay, rested, at the respawn point.
    let died_at = now;
    while health(&s, b) == 0 {
        now += 50;
        s.tick(now);
        assert!(now < died_at + u64::from(combat.respawn_seconds) * 1000 + 1000, "never came back");
    }
    assert!(now >= died_at + u64::from(combat.respawn_seconds) * 1000 - 100);
    assert_eq!(s.stats(b).unwrap().0, Vitals::rested(&rules));
    assert_eq!(s.position(b), Some(point));
    let d = s.world.resource(s.deaths);
    assert_eq!((d.died, d.respawned, d.waiting()), (1, 1, 0));
}

#[test]
fn a_starving_character_dies_and_an_attack_on_an_object_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let rules = s.content.stats;
    let a = s.spawn_character(Controller::Bot, C, C);
    let mut v = Vitals::rested(&rules);
    (v.hunger, v.health) = (rules.hunger_limit, 1);
    assert!(s.set_stats(a, v, Experience::default()));
    let mut now = 1_000;
    s.tick(now);
    now += u64::from(rules.starve_seconds) * 1000;
    s.tick(now);
    assert_eq!(health(&s, a), 0, "starved");
    assert_eq!(s.world.resource(s.deaths).fresh.iter().map(|d| d.0).collect::<Vec<_>>(), [a]);
    s.tick(now + 50);
    assert!(s.world.resource(s.deaths).fresh.is_empty(), "a death is fresh for one tick");

    // A bot attacking a tree: refused, the order ends.
    let b = s.spawn_character(Controller::Player(3), C + 4000, C);
    let start = std::time::Instant::now();
    let tree = loop {
        if let Some(&(e, _)) = s.objects_near(C + 4000, C, 12 * 256).first() {
            break e;
        }
        assert!(start.elapsed().as_secs() < 60, "no object near");
        now += 50;
        s.tick(now);
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(s.set_order(b, Order::Attack { target: tree }));
    for _ in 0..600 {
        now += 50;
        s.tick(now);
        if s.order(b).unwrap().current == Order::Idle {
            break;
        }
    }
    let last = s.order(b).unwrap().last.map(|l| l.1);
    assert!(matches!(last, Some(Outcome::Impossible(Impossible::Refused | Impossible::Blocked))), "{last:?}");
}

#[test]
fn a_bot_that_is_hit_runs_away_from_its_attacker() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let r = s.content.character.radius;
    let fist = s.content.combat.fist;
    let a = s.spawn_character(Controller::Player(1), C, C);
    let bot = s.spawn_character(Controller::Bot, C + 2 * r + fist.range, C);
    assert!(s.set_order(a, Order::Attack { target: bot }));
    let mut now = 0;
    let before = health(&s, bot);
    while health(&s, bot) == before {
        now += 50;
        s.tick(now);
        assert!(now < 60_000, "never hit");
    }
    // The next tick the bot's policy reacts: it runs straight away from the attacker.
    now += 50;
    s.tick(now);
    match s.order(bot).unwrap().current {
        Order::MoveTo { x, .. } => assert!(x > C + 8 * 256, "away from the attacker: {x}"),
        other => panic!("the bot should flee, not {other:?}"),
    }
}

#[test]
fn a_character_that_logged_out_dead_comes_back_after_the_delay() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim(&dir);
    let rules = s.content.stats;
    let mut now = 5_000;
    s.tick(now);
    let a = s.spawn_character(Controller::Player(1), C, C);
    let mut dead = Vitals::rested(&rules);
    dead.health = 0;
    assert!(s.set_stats(a, dead, Experience::default()));
    let back = now + u64::from(s.content.combat.respawn_seconds) * 1000;
    while now < back {
        s.tick(now);
        assert_eq!(health(&s, a), 0, "still dead at {now}");
        now += 500;
    }
    s.tick(back + 50);
    assert_eq!(s.stats(a).unwrap().0, Vitals::rested(&rules));
}

#[test]
fn a_living_character_is_in_the_way_and_a_dead_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    // No blocking terrain: only the other character can be in the way.
    let terrain = ContentTexts::BUILTIN.terrain.replace("blocks = true", "blocks = false");
    let content = Content::from_texts(ContentTexts { terrain: &terrain, ..ContentTexts::BUILTIN }).unwrap();
    let mut s = map_common::plain_map(&dir, Arc::new(content)).0;
    let (rules, r) = (s.content.stats, s.content.character.radius);
    let a = s.spawn_character(Controller::Player(1), C, C);
    let b = s.spawn_character(Controller::Player(2), C + 2 * 256, C);
    let there = s.position(b).unwrap();
    let mut now = 1_000;
    map_common::tick_until_resident(&mut s, (C, C), now);
    let mut walk = |s: &mut MapSim| {
        assert!(s.set_order(a, Order::MoveTo { x: there.0, y: there.1 }));
        for _ in 0..200 {
            now += 50;
            s.tick(now);
            if s.order(a).unwrap().current == Order::Idle {
                break;
            }
        }
        let (p, q) = (s.position(a).unwrap(), there);
        f64::from(p.0 - q.0).hypot(f64::from(p.1 - q.1))
    };
    let apart = walk(&mut s);
    assert!(apart >= f64::from(2 * r) - 2.0, "a living character is in the way: {apart}");
    let mut dead = Vitals::rested(&rules);
    dead.health = 0;
    assert!(s.set_stats(b, dead, Experience::default()));
    let apart = walk(&mut s);
    assert_eq!(health(&s, b), 0, "still dead");
    assert!(apart < f64::from(r), "walked onto where the dead character lies: {apart}");
}

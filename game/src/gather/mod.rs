//! Gathering and planting rules (§10), pure and in integers: how long a character has worked on
//! an object ([`Work`]), the quality of what it gets ([`yield_quality`]), what becomes of the
//! object ([`aftermath`]) and the crop a planted seed becomes ([`planted`]). What each object
//! kind gives is content (`content::Gather`); the "items" gameplay system applies these rules
//! (`gameplay::items`), `error.rs` holds the refusals.

mod error;

pub use error::GatherError;

use crate::content::{After, Content};
use crate::growth::{self, NEVER};
use crate::worldgen::hash;
use engine::Entity;
use store::ObjectRecord;

/// A character's work on one object, counted in ticks: the ticks of one interact order (its
/// sequence number) in a row on the same target. A new order, a tick without the action (the
/// character walked out of reach) or another target starts the count again, so nothing is
/// given for interrupted work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// The object worked on.
    pub target: Entity,
    /// The interact order's sequence number.
    pub seq: u32,
    /// Ticks worked in a row, this one included.
    pub ticks: u32,
    /// The last tick worked.
    pub last_tick: u64,
}

impl Work {
    /// The work after tick `tick` of order `seq` on `target`: one tick more than `prev` when
    /// `prev` is the same order on the same target worked the tick before, else a fresh start
    /// (1 tick). Worked again within the same tick, it stays as it is.
    pub fn step(prev: Option<Work>, target: Entity, seq: u32, tick: u64) -> Work {
        match prev {
            Some(w) if w.target == target && w.seq == seq && w.last_tick == tick => w,
            Some(w) if w.target == target && w.seq == seq && w.last_tick + 1 == tick => {
                Work { ticks: w.ticks.saturating_add(1), last_tick: tick, ..w }
            }
            _ => Work { target, seq, ticks: 1, last_tick: tick },
        }
    }

    /// True on the first tick of the work (the time to refuse what cannot succeed).
    pub fn is_starting(&self) -> bool {
        self.ticks == 1
    }

    /// True once the work has lasted `needed` ticks.
    pub fn is_done(&self, needed: u32) -> bool {
        self.ticks >= needed
    }
}

/// The quality gathering starts from: the object's quality, or with a tool the mean of the
/// object's and the tool's, rounded down: `(object + tool) / 2`.
///
/// Worked examples: a tree of quality 12 felled with an axe of 10 gives 11; a tree of 9 with an
/// axe of 10 gives 9 (19 / 2 rounded down); a bush of 13, picked by hand, gives 13.
pub fn base_quality(object: u32, tool: Option<u32>) -> u32 {
    match tool {
        // Exact in u64; the mean of two u32 values fits a u32.
        Some(t) => ((u64::from(object) + u64::from(t)) / 2) as u32,
        None => object,
    }
}

/// The deterministic variation of a gathering: `h mod (2·spread + 1) − spread`, in
/// `−spread..=spread`, with `h` a hash of the object's id and the time of the gathering (ms), so
/// two harvests of the same field differ while a replay gives the same. 0 when `spread` is 0.
pub fn variation(spread: u32, object_id: i64, at_ms: i64) -> i64 {
    if spread == 0 {
        return 0;
    }
    let h = hash(0x6A74_4845 ^ object_id as u64, at_ms as i32, (at_ms >> 32) as i32);
    let span = 2 * u64::from(spread) + 1;
    (h % span) as i64 - i64::from(spread)
}

/// The quality of what gathering gives: [`base_quality`] plus [`variation`], never below 0.
///
/// Worked examples: a crop of quality 10 (its seed's) with spread 2 gives 8..=12, e.g. 11 for a
/// variation of +1; a crop of quality 1 with a variation of −2 gives 0.
pub fn yield_quality(object: u32, tool: Option<u32>, spread: u32, object_id: i64, at_ms: i64) -> u32 {
    let q = i64::from(base_quality(object, tool)) + variation(spread, object_id, at_ms);
    u32::try_from(q.max(0)).unwrap_or(u32::MAX)
}

/// The stage an object shows at `now_ms`, in closed form ([`growth::advance`]), whether or not
/// the growth system has caught up with it; its stored stage for a kind that does not grow.
pub fn stage_now(content: &Content, record: &ObjectRecord, now_ms: i64) -> u16 {
    match content.growth(record.kind) {
        Some(g) => growth::advance(g, record.stage, record.stage_started_ms, now_ms).stage,
        None => record.stage,
    }
}

/// What becomes of a gathered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aftermath {
    /// Nothing changes (a rock).
    Stays,
    /// Its record becomes this one (a stump, a bare bush): same id and place.
    Changed(ObjectRecord),
    /// It leaves the world (a harvested crop).
    Removed,
}

/// What becomes of object `record` gathered at `now_ms` under `after`: a new kind starts at
/// stage 0 and a regrowing one at its stage, either from `now_ms`, its end derived from the
/// kind's growth table ([`NEVER`] for a kind that does not grow or a final stage).
pub fn aftermath(content: &Content, after: After, record: &ObjectRecord, now_ms: i64) -> Aftermath {
    let (kind, stage) = match after {
        After::Stays => return Aftermath::Stays,
        After::Removed => return Aftermath::Removed,
        After::Becomes(kind) => (kind, 0),
        After::Regrows(stage) => (record.kind, stage),
    };
    let mut next =
        ObjectRecord { kind, stage, stage_started_ms: now_ms, stage_ends_ms: NEVER, ..record.clone() };
    if let Some(g) = content.growth(kind) {
        growth::advance(g, stage, now_ms, now_ms).write(&mut next);
    }
    Aftermath::Changed(next)
}

/// Where a seed is planted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planting {
    /// The new object's id.
    pub id: i64,
    /// The map.
    pub map: store::MapId,
    /// The object kind the seed grows into (its `plants`).
    pub kind: u32,
    /// Where, in 1/256 tile.
    pub at: (i32, i32),
    /// The seed's quality: the crop's, and so what its harvest starts from.
    pub quality: u32,
}

/// The object a seed planted at `now_ms` becomes: its kind at stage 0, started now (the end
/// derived from the growth table), with the seed's quality, stored with the chunk it lies in.
/// A plain object (not a container): chunk saves keep it afterwards.
pub fn planted(content: &Content, p: Planting, now_ms: i64) -> ObjectRecord {
    let (cx, cy) = crate::geom::MapGeometry::chunk_of(p.at.0, p.at.1);
    let mut record = ObjectRecord {
        id: p.id,
        map: p.map,
        grid_x: cx,
        grid_y: cy,
        kind: p.kind,
        pos: store::Position { x: p.at.0, y: p.at.1 },
        quality: p.quality,
        stage: 0,
        stage_started_ms: now_ms,
        stage_ends_ms: NEVER,
        ..Default::default()
    };
    if let Some(g) = content.growth(p.kind) {
        growth::advance(g, 0, now_ms, now_ms).write(&mut record);
    }
    record
}

/// True when `terrain` (a terrain id) is in the soil of object kind `kind`.
pub fn takes_soil(content: &Content, kind: u32, terrain: u16) -> bool {
    let name = content.terrains.iter().find(|t| t.id == terrain).map(|t| t.name.as_str());
    let soil = content.object_by_id(kind).map(|k| k.soil.as_slice()).unwrap_or_default();
    name.is_some_and(|n| soil.iter().any(|s| s == n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(i: u32) -> Entity {
        Entity::from_bits(u64::from(i) | 1 << 32)
    }

    #[test]
    fn work_counts_ticks_of_one_order_in_a_row() {
        let w = Work::step(None, e(1), 4, 100);
        assert_eq!((w.ticks, w.is_starting()), (1, true));
        let w = Work::step(Some(w), e(1), 4, 101);
        let w = Work::step(Some(w), e(1), 4, 102);
        assert_eq!((w.ticks, w.is_starting(), w.is_done(3), w.is_done(4)), (3, false, true, false));
        assert_eq!(Work::step(Some(w), e(1), 4, 102), w, "the same tick counts once");
        assert_eq!(Work::step(Some(w), e(1), 4, 104).ticks, 1, "a tick missed: start again");
        assert_eq!(Work::step(Some(w), e(1), 5, 103).ticks, 1, "a new order: start again");
        assert_eq!(Work::step(Some(w), e(2), 4, 103).ticks, 1, "another target: start again");
    }

    #[test]
    fn quality_worked_examples() {
        assert_eq!(base_quality(12, Some(10)), 11);
        assert_eq!(base_quality(9, Some(10)), 9, "rounded down");
        assert_eq!(base_quality(13, None), 13);
        assert_eq!(base_quality(u32::MAX, Some(u32::MAX)), u32::MAX, "no overflow");
        assert_eq!(variation(0, 77, 1_000), 0);
        assert_eq!(yield_quality(12, Some(10), 0, 5, 9), 11);
    }

    #[test]
    fn variation_stays_within_the_spread_and_repeats() {
        let mut seen = [0u32; 5];
        for t in 0..1_000i64 {
            let v = variation(2, 42, t * 50);
            assert!((-2..=2).contains(&v), "{v}");
            assert_eq!(v, variation(2, 42, t * 50), "deterministic");
            seen[(v + 2) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 120), "every offset appears: {seen:?}");
        // A crop of quality 10 gives 8..=12; one of quality 1 never goes below 0.
        let qs: Vec<u32> = (0..200).map(|t| yield_quality(10, None, 2, 7, t)).collect();
        assert!(qs.iter().all(|q| (8..=12).contains(q)) && qs.contains(&8) && qs.contains(&12));
        let low = (0..200).map(|t| yield_quality(1, None, 2, 7, t)).min();
        assert_eq!(low, Some(0));
        let t = (0..200).find(|&t| variation(2, 7, t) == 1).unwrap();
        assert_eq!(yield_quality(10, None, 2, 7, t), 11);
    }

    #[test]
    fn what_becomes_of_gathered_objects() {
        let c = Content::builtin();
        let kind = |n: &str| c.object(n).unwrap().id;
        let tree = ObjectRecord {
            id: 9,
            kind: kind("tree"),
            quality: 12,
            stage: 2,
            stage_started_ms: 5,
            stage_ends_ms: 21_600_005,
            ..Default::default()
        };
        let Aftermath::Changed(stump) = aftermath(&c, After::Becomes(kind("stump")), &tree, 1_000) else {
            panic!("a tree becomes a stump");
        };
        assert_eq!((stump.id, stump.kind, stump.quality), (9, kind("stump"), 12));
        assert_eq!((stump.stage, stump.stage_started_ms, stump.stage_ends_ms), (0, 1_000, NEVER));
        let bush = ObjectRecord { kind: kind("bush"), stage: 1, stage_ends_ms: NEVER, ..tree.clone() };
        let Aftermath::Changed(bare) = aftermath(&c, After::Regrows(0), &bush, 2_000) else { panic!() };
        assert_eq!((bare.stage, bare.stage_started_ms, bare.stage_ends_ms), (0, 2_000, 2_000 + 900_000));
        assert_eq!(aftermath(&c, After::Stays, &bush, 0), Aftermath::Stays);
        assert_eq!(aftermath(&c, After::Removed, &bush, 0), Aftermath::Removed);
    }

    #[test]
    fn a_planted_seed_is_a_crop_at_its_first_stage() {
        let c = Content::builtin();
        let crop = c.object("crop").unwrap().id;
        let at = (3 * 32_768 + 500, 3 * 32_768 + 700);
        let p = Planting { id: 77, map: 1, kind: crop, at, quality: 13 };
        let r = planted(&c, p, 10_000);
        assert_eq!((r.id, r.map, r.grid_x, r.grid_y, r.kind, r.quality), (77, 1, 3, 3, crop, 13));
        assert_eq!((r.pos.x, r.pos.y, r.holds_items), (at.0, at.1, false));
        assert_eq!((r.stage, r.stage_started_ms, r.stage_ends_ms), (0, 10_000, 10_000 + 1_200_000));
        assert_eq!(stage_now(&c, &r, 10_000 + 3_600_000), 2, "ripe after 20 + 40 minutes");
        assert_eq!(stage_now(&c, &r, 10_000 + 3_599_999), 1);
        let (grass, sand) = (c.terrain("grass").unwrap().id, c.terrain("sand").unwrap().id);
        assert!(takes_soil(&c, crop, grass) && !takes_soil(&c, crop, sand));
        assert!(!takes_soil(&c, c.object("tree").unwrap().id, grass), "trees are not planted");
    }
}

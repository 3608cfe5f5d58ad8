//! Validation of the world files (terrain, objects, world layout): every error names the file
//! and the field.

use super::defs::{
    CharacterRules, ChatRules, CombatRules, ContinentDef, Growth, OBJECT_FILE, ObjectKind, StatRules,
    TERRAIN_FILE, Terrain, WORLD_FILE,
};
use super::item_kinds::MAX_CAPACITY;
use crate::error::ContentError;
use crate::geom::{MAX_CONTINENT, MAX_LAYERS, MAX_MAP_CHUNKS};

/// Largest terrain id accepted (tiles store `u16`; the table is dense up to this).
pub const MAX_TERRAIN_ID: u16 = 1023;
/// Largest object collision radius (1/256 tile): two tiles.
pub const MAX_OBJECT_RADIUS: i32 = 512;
/// Largest object kind id (the kind table is dense up to the largest id used).
pub const MAX_OBJECT_ID: u32 = 65_535;
/// Largest chat radius in tiles: one chunk, so a line's listeners are found in a bounded area.
pub const MAX_CHAT_RADIUS_TILES: i32 = 128;
/// Most characters a chat line may be allowed: a character is at most 4 bytes of UTF-8, so a
/// line of this many always fits the wire's text (`net::protocol::MAX_CHAT_TEXT_LEN`).
pub const MAX_CHAT_CHARS: u16 = (net::protocol::MAX_CHAT_TEXT_LEN / 4) as u16;
/// Most chat lines per 10 seconds: one a tick at 20 Hz.
pub const MAX_CHAT_PER_10S: u16 = 200;
/// Most growth stages an object kind may have.
pub const MAX_GROWTH_STAGES: usize = 16;

/// Checks the terrain types; returns by terrain id whether it blocks (unknown ids block).
pub(super) fn terrain(terrains: &[Terrain]) -> Result<Vec<bool>, ContentError> {
    let mut blocking = Vec::new();
    for (i, t) in terrains.iter().enumerate() {
        let field = |f: &str| format!("terrain[{i}] ({}).{f}", t.name);
        if t.id > MAX_TERRAIN_ID {
            let why = format!("{} is above {MAX_TERRAIN_ID}", t.id);
            return Err(ContentError::new(TERRAIN_FILE, field("id"), why));
        }
        if terrains[..i].iter().any(|p| p.id == t.id) {
            return Err(ContentError::new(TERRAIN_FILE, field("id"), format!("duplicate id {}", t.id)));
        }
        if terrains[..i].iter().any(|p| p.name == t.name) {
            return Err(ContentError::new(TERRAIN_FILE, field("name"), "duplicate name"));
        }
        if blocking.len() <= t.id as usize {
            blocking.resize(t.id as usize + 1, true);
        }
        blocking[t.id as usize] = t.blocks;
    }
    if terrains.is_empty() {
        return Err(ContentError::new(TERRAIN_FILE, "terrain", "at least one terrain is needed"));
    }
    Ok(blocking)
}

/// Checks the object kinds on their own (references to items are checked with the items);
/// returns the dense table by kind id: index into `objects` plus one, 0 = no such kind.
pub(super) fn objects(objects: &[ObjectKind], terrains: &[Terrain]) -> Result<Vec<u16>, ContentError> {
    for (i, o) in objects.iter().enumerate() {
        object(i, o, &objects[..i], terrains)?;
    }
    let len = objects.iter().map(|o| o.id as usize + 1).max().unwrap_or(0);
    let mut by_id = vec![0u16; len];
    for (i, o) in objects.iter().enumerate() {
        by_id[o.id as usize] = u16::try_from(i + 1).unwrap_or(0);
    }
    Ok(by_id)
}

fn object(i: usize, o: &ObjectKind, before: &[ObjectKind], terrains: &[Terrain]) -> Result<(), ContentError> {
    let field = |f: &str| format!("object[{i}] ({}).{f}", o.name);
    if before.iter().any(|p| p.id == o.id) {
        return Err(ContentError::new(OBJECT_FILE, field("id"), format!("duplicate id {}", o.id)));
    }
    if o.id > MAX_OBJECT_ID {
        let why = format!("{} is above {MAX_OBJECT_ID}", o.id);
        return Err(ContentError::new(OBJECT_FILE, field("id"), why));
    }
    if before.iter().any(|p| p.name == o.name) {
        return Err(ContentError::new(OBJECT_FILE, field("name"), "duplicate name"));
    }
    if !(0..=MAX_OBJECT_RADIUS).contains(&o.radius) {
        let why = format!("{} is outside 0..={MAX_OBJECT_RADIUS}", o.radius);
        return Err(ContentError::new(OBJECT_FILE, field("radius"), why));
    }
    if let Some(c) = o.capacity
        && !(1..=MAX_CAPACITY).contains(&c)
    {
        let why = format!("{c} is outside 1..={MAX_CAPACITY}");
        return Err(ContentError::new(OBJECT_FILE, field("capacity"), why));
    }
    for (terrain, &d) in &o.density {
        if !terrains.iter().any(|t| &t.name == terrain) {
            let why = format!("unknown terrain `{terrain}`");
            return Err(ContentError::new(OBJECT_FILE, field("density"), why));
        }
        if d > 1000 {
            let f = field(&format!("density.{terrain}"));
            return Err(ContentError::new(OBJECT_FILE, f, "more than 1000 per 1000 tiles"));
        }
    }
    for (j, name) in o.soil.iter().enumerate() {
        if !terrains.iter().any(|t| &t.name == name) || o.soil[..j].contains(name) {
            let why = format!("unknown or repeated terrain `{name}`");
            return Err(ContentError::new(OBJECT_FILE, field(&format!("soil[{j}]")), why));
        }
    }
    if let Some(g) = &o.growth {
        growth(g).map_err(|(f, why)| ContentError::new(OBJECT_FILE, field(&format!("growth.{f}")), why))?;
    }
    Ok(())
}

/// Checks a growth table: 1..=[`MAX_GROWTH_STAGES`] stages with unique non-empty names, one
/// duration per stage but the last, each above zero. The error is `(field, why)`.
fn growth(g: &Growth) -> Result<(), (String, String)> {
    if g.stages.is_empty() {
        return Err(("stages".into(), "at least one stage is needed".into()));
    }
    if g.stages.len() > MAX_GROWTH_STAGES {
        let why = format!("{} stages, at most {MAX_GROWTH_STAGES}", g.stages.len());
        return Err(("stages".into(), why));
    }
    for (i, name) in g.stages.iter().enumerate() {
        if name.is_empty() {
            return Err((format!("stages[{i}]"), "empty name".into()));
        }
        if g.stages[..i].contains(name) {
            return Err((format!("stages[{i}]"), format!("duplicate stage `{name}`")));
        }
    }
    if g.seconds.len() != g.stages.len() - 1 {
        let why = format!(
            "{} durations for {} stages: one per stage but the last (which lasts forever)",
            g.seconds.len(),
            g.stages.len()
        );
        return Err(("seconds".into(), why));
    }
    if let Some(i) = g.seconds.iter().position(|&s| s == 0) {
        return Err((format!("seconds[{i}]"), "a stage lasts at least one second".into()));
    }
    Ok(())
}

/// Checks the chat rules: every bound is at least 1, none above its maximum.
pub(super) fn chat(c: &ChatRules) -> Result<(), ContentError> {
    let bounds = [
        ("chat.radius", i64::from(c.radius), i64::from(MAX_CHAT_RADIUS_TILES)),
        ("chat.max_chars", i64::from(c.max_chars), i64::from(MAX_CHAT_CHARS)),
        ("chat.per_10s", i64::from(c.per_10s), i64::from(MAX_CHAT_PER_10S)),
    ];
    for (field, value, max) in bounds {
        if !(1..=max).contains(&value) {
            return Err(ContentError::new(WORLD_FILE, field, format!("{value} is outside 1..={max}")));
        }
    }
    Ok(())
}

/// Checks the character rules and the continents.
pub(super) fn world(c: &CharacterRules, continents: &[ContinentDef]) -> Result<(), ContentError> {
    if !(16..=256).contains(&c.radius) {
        return Err(ContentError::new(WORLD_FILE, "character.radius", "must be 16..=256"));
    }
    if !(1..=4 * 256).contains(&c.max_speed) {
        return Err(ContentError::new(WORLD_FILE, "character.max_speed", "must be 1..=1024"));
    }
    if !(0..=8 * 256).contains(&c.interact_range) {
        return Err(ContentError::new(WORLD_FILE, "character.interact_range", "must be 0..=2048"));
    }
    if continents.is_empty() {
        return Err(ContentError::new(WORLD_FILE, "continent", "at least one continent is needed"));
    }
    for (i, k) in continents.iter().enumerate() {
        continent(i, k, &continents[..i])?;
    }
    Ok(())
}

/// Checks the vitals: every limit and every interval at least 1 (a zero would divide by zero or
/// make a character dead or starving from birth).
pub(super) fn stats(s: &StatRules) -> Result<(), ContentError> {
    let positive = [
        ("stats.max_health", s.max_health),
        ("stats.hunger_limit", s.hunger_limit),
        ("stats.hunger_seconds", s.hunger_seconds),
        ("stats.starve_seconds", s.starve_seconds),
        ("stats.max_stamina", s.max_stamina),
    ];
    for (field, v) in positive {
        if v == 0 {
            return Err(ContentError::new(WORLD_FILE, field, "must be at least 1"));
        }
    }
    Ok(())
}

/// Checks the combat rules: a fist that reaches and hits, a cooldown, and times that fit a
/// day (a respawn of 0 s is allowed; a corpse lasts at least a second).
pub(super) fn combat(c: &CombatRules) -> Result<(), ContentError> {
    if c.fist.damage == 0 || c.fist.damage > 10_000 {
        return Err(ContentError::new(WORLD_FILE, "combat.fist.damage", "must be 1..=10000"));
    }
    if !(0..=8 * 256).contains(&c.fist.range) {
        return Err(ContentError::new(WORLD_FILE, "combat.fist.range", "must be 0..=2048"));
    }
    if c.fist.cooldown_ticks == 0 {
        return Err(ContentError::new(WORLD_FILE, "combat.fist.cooldown_ticks", "must be at least 1"));
    }
    if c.respawn_seconds > 86_400 {
        return Err(ContentError::new(WORLD_FILE, "combat.respawn_seconds", "must be at most 86400"));
    }
    if !(1..=86_400 * 30).contains(&c.corpse_seconds) {
        return Err(ContentError::new(WORLD_FILE, "combat.corpse_seconds", "must be 1..=2592000"));
    }
    Ok(())
}

fn continent(i: usize, k: &ContinentDef, before: &[ContinentDef]) -> Result<(), ContentError> {
    let field = |f: &str| format!("continent[{i}] ({}).{f}", k.name);
    if before.iter().any(|p| p.id == k.id) {
        return Err(ContentError::new(WORLD_FILE, field("id"), format!("duplicate id {}", k.id)));
    }
    if k.id > MAX_CONTINENT {
        let why = format!("must be at most {}", MAX_CONTINENT);
        return Err(ContentError::new(WORLD_FILE, field("id"), why));
    }
    for (name, v) in [("width_chunks", k.width_chunks), ("height_chunks", k.height_chunks)] {
        if !(1..=MAX_MAP_CHUNKS).contains(&v) {
            let why = format!("{v} is outside 1..={}", MAX_MAP_CHUNKS);
            return Err(ContentError::new(WORLD_FILE, field(name), why));
        }
    }
    if !(1..=MAX_LAYERS).contains(&k.layers) {
        let why = format!("must be 1..={}", MAX_LAYERS);
        return Err(ContentError::new(WORLD_FILE, field("layers"), why));
    }
    Ok(())
}

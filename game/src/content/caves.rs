//! Caves (`[caves]` in `world.toml`): how often world generation puts a way down from a layer to
//! the layer below, how much cave it clears around the way's foot, and the two object kinds
//! (`role = "way_down"` and `role = "way_up"` in `objects.toml`) that stand at either end.

use super::defs::{OBJECT_FILE, ObjectKind, ObjectRole, WORLD_FILE};
use crate::error::ContentError;
use serde::Deserialize;

/// Most tiles cleared around a way's foot: the way keeps this far plus two from its chunk's
/// edges, so a chunk's own way is the only one that clears its tiles.
pub const MAX_CLEARING_TILES: i32 = 16;

/// `[caves]` as the file spells it; absent: no ways between layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CavesDef {
    chunk_percent: u32,
    clearing_tiles: i32,
}

/// The validated cave rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caves {
    /// Chance in 100 that a chunk of a layer with a layer below holds a way down.
    pub chunk_percent: u32,
    /// Tiles (radius) of cave floor around the foot of a way on the layer below.
    pub clearing_tiles: i32,
    /// The object kind of the way down.
    pub down: u32,
    /// The object kind of the way up.
    pub up: u32,
}

/// Checks `[caves]` and the way kinds: with ways, exactly one kind of each role that holds,
/// grows and gives nothing and is not scattered; without, no way kinds matter. World files
/// alone (`world_alone`: no item kinds, as for tests of the world) without way kinds have no
/// caves whatever `[caves]` says.
pub(super) fn caves(
    def: Option<CavesDef>,
    objects: &[ObjectKind],
    world_alone: bool,
) -> Result<Option<Caves>, ContentError> {
    let (mut down, mut up) = (None, None);
    for (i, o) in objects.iter().enumerate() {
        let slot = match o.role {
            Some(ObjectRole::WayDown) => &mut down,
            Some(ObjectRole::WayUp) => &mut up,
            _ => continue,
        };
        let field = |f: &str| format!("object[{i}] ({}).{f}", o.name);
        if let Some(id) = *slot {
            return Err(ContentError::new(
                OBJECT_FILE,
                field("role"),
                format!("object kind {id} has it already"),
            ));
        }
        let plain = o.capacity.is_none() && o.growth.is_none() && o.gather.is_none() && o.becomes.is_none();
        if !plain || !o.density.is_empty() || !o.soil.is_empty() {
            let why = "a way holds, grows, gives and becomes nothing and is placed only with its cave";
            return Err(ContentError::new(OBJECT_FILE, field("role"), why));
        }
        *slot = Some(o.id);
    }
    let Some(def) = def else { return Ok(None) };
    if world_alone && down.is_none() && up.is_none() {
        return Ok(None);
    }
    let field = |f: &str| format!("caves.{f}");
    if def.chunk_percent > 100 {
        return Err(ContentError::new(WORLD_FILE, field("chunk_percent"), "at most 100"));
    }
    if !(1..=MAX_CLEARING_TILES).contains(&def.clearing_tiles) {
        let why = format!("1..={MAX_CLEARING_TILES} tiles");
        return Err(ContentError::new(WORLD_FILE, field("clearing_tiles"), why));
    }
    let need = |kind: Option<u32>, role: &str| {
        kind.ok_or_else(|| {
            ContentError::new(OBJECT_FILE, "object", format!("caves need a kind with role = \"{role}\""))
        })
    };
    let (down, up) = (need(down, "way_down")?, need(up, "way_up")?);
    Ok(Some(Caves { chunk_percent: def.chunk_percent, clearing_tiles: def.clearing_tiles, down, up }))
}

#[cfg(test)]
mod tests {
    use super::super::{Content, ContentTexts};
    use crate::error::ContentError;

    /// The built-in content with one edit in `objects.toml` and one in `world.toml`.
    fn edited(objects: (&str, &str), world: (&str, &str)) -> Result<Content, ContentError> {
        let b = ContentTexts::BUILTIN;
        assert!(b.objects.contains(objects.0) && b.world.contains(world.0), "the edit applies");
        let (o, w) = (b.objects.replacen(objects.0, objects.1, 1), b.world.replacen(world.0, world.1, 1));
        Content::from_texts(ContentTexts { objects: &o, world: &w, ..b })
    }

    fn field_of(r: Result<Content, ContentError>) -> String {
        let e = r.expect_err("refused");
        format!("{}: {}", e.field, e.reason)
    }

    #[test]
    fn caves_need_both_ways_and_sane_numbers() {
        const EXIT: &str = "name = \"cave_exit\"\nradius = 0\nrole = \"way_up\"";
        let no_way_up = edited((EXIT, "name = \"cave_exit\"\nradius = 0"), ("", ""));
        assert!(field_of(no_way_up).contains("way_up"));
        let percent = edited(("", ""), ("chunk_percent = 25", "chunk_percent = 101"));
        assert!(field_of(percent).starts_with("caves.chunk_percent"));
        let clearing = edited(("", ""), ("clearing_tiles = 3", "clearing_tiles = 17"));
        assert!(field_of(clearing).starts_with("caves.clearing_tiles"));
        let scattered = edited((EXIT, &format!("{EXIT}\ndensity = {{ dirt = 1 }}")), ("", ""));
        assert!(field_of(scattered).contains("role"));
        let holds = edited((EXIT, &format!("{EXIT}\ncapacity = 4")), ("", ""));
        assert!(field_of(holds).contains("role"));
        let twice = edited((EXIT, "name = \"cave_exit\"\nradius = 0\nrole = \"way_down\""), ("", ""));
        assert!(field_of(twice).contains("has it already"));
    }

    #[test]
    fn without_the_section_there_are_no_caves() {
        let b = ContentTexts::BUILTIN;
        let start = b.world.find("[caves]").unwrap();
        let end = start + b.world[start..].find("[[continent]]").unwrap();
        let world = format!("{}{}", &b.world[..start], &b.world[end..]);
        let content = Content::from_texts(ContentTexts { world: &world, ..b }).unwrap();
        assert_eq!(content.caves, None);
        let caves = Content::builtin().caves.unwrap();
        assert_eq!((caves.chunk_percent, caves.clearing_tiles), (25, 3));
    }
}

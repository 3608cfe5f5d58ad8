//! Validation of `items.toml` and of the object kinds' item fields: builds the dense item table,
//! the rules and the starter kit; every error names the file and the field.

use super::defs::{ITEM_FILE, OBJECT_FILE, ObjectKind, ObjectRole};
use super::item_kinds::{
    ItemDef, ItemFile, ItemKind, ItemRules, ItemTable, ItemTag, ItemTags, MAX_CAPACITY, MAX_DEPTH,
    MAX_ITEM_ID, MAX_STACK, StarterStack,
};
use crate::error::ContentError;

/// Largest damage of a weapon.
const MAX_DAMAGE: u32 = 10_000;
/// Longest weapon reach (1/256 tile): eight tiles.
const MAX_WEAPON_RANGE: i32 = 8 * 256;
/// Longest weapon cooldown: a minute at 20 Hz.
const MAX_COOLDOWN_TICKS: u32 = 1200;

/// The validated item content.
#[derive(Debug)]
pub(super) struct ItemParts {
    pub(super) table: ItemTable,
    pub(super) rules: ItemRules,
    pub(super) starter: Vec<StarterStack>,
}

/// Validates `items.toml` against the object kinds (for `places`).
pub(super) fn items(file: ItemFile, objects: &[ObjectKind]) -> Result<ItemParts, ContentError> {
    let mut kinds: Vec<ItemKind> = Vec::with_capacity(file.item.len());
    for (i, def) in file.item.iter().enumerate() {
        kinds.push(kind(i, def, &kinds, objects)?);
    }
    let rules = match file.rules {
        Some(r) => rules(r)?,
        None if kinds.is_empty() => ItemRules::NONE,
        None => return Err(ContentError::new(ITEM_FILE, "rules", "required when item kinds exist")),
    };
    let table = ItemTable::new(kinds);
    let starter = starter(&file, &table, &rules)?;
    Ok(ItemParts { table, rules, starter })
}

fn rules(r: ItemRules) -> Result<ItemRules, ContentError> {
    if !(1..=MAX_DEPTH).contains(&r.max_depth) {
        let why = format!("{} is outside 1..={MAX_DEPTH}", r.max_depth);
        return Err(ContentError::new(ITEM_FILE, "rules.max_depth", why));
    }
    if !(1..=MAX_CAPACITY).contains(&r.inventory_slots) {
        let why = format!("{} is outside 1..={MAX_CAPACITY}", r.inventory_slots);
        return Err(ContentError::new(ITEM_FILE, "rules.inventory_slots", why));
    }
    Ok(r)
}

fn kind(
    i: usize,
    d: &ItemDef,
    before: &[ItemKind],
    objects: &[ObjectKind],
) -> Result<ItemKind, ContentError> {
    let field = |f: &str| format!("item[{i}] ({}).{f}", d.name);
    let err = |f: &str, why: String| ContentError::new(ITEM_FILE, field(f), why);
    if !(1..=MAX_ITEM_ID).contains(&d.id) {
        return Err(err("id", format!("{} is outside 1..={MAX_ITEM_ID}", d.id)));
    }
    if before.iter().any(|p| p.id == d.id) {
        return Err(err("id", format!("duplicate id {}", d.id)));
    }
    if d.name.is_empty() || before.iter().any(|p| p.name == d.name) {
        return Err(err("name", "empty or duplicate name".into()));
    }
    if !(1..=MAX_STACK).contains(&d.max_stack) {
        return Err(err("max_stack", format!("{} is outside 1..={MAX_STACK}", d.max_stack)));
    }
    let tags = tags(&d.tags).map_err(|why| err("tags", why))?;
    let capacity = capacity(d, tags).map_err(|(f, why)| err(f, why))?;
    let places = places(d, tags, objects).map_err(|(f, why)| err(f, why))?;
    let plants = plants(d, tags, objects).map_err(|(f, why)| err(f, why))?;
    require(tags, ItemTag::Food, d.food.is_some(), "food").map_err(|(f, why)| err(f, why))?;
    require(tags, ItemTag::Weapon, d.weapon.is_some(), "weapon").map_err(|(f, why)| err(f, why))?;
    if d.food == Some(0) {
        return Err(err("food", "must be at least 1".into()));
    }
    if let Some(w) = d.weapon {
        weapon_ok(w.damage, w.range, w.cooldown_ticks).map_err(|(f, why)| err(f, why))?;
    }
    let (id, name, max_stack) = (d.id, d.name.clone(), d.max_stack);
    let (food, weapon) = (d.food, d.weapon);
    Ok(ItemKind { id, name, max_stack, tags, capacity, food, weapon, places, plants })
}

fn tags(names: &[String]) -> Result<ItemTags, String> {
    let mut tags = ItemTags::default();
    for name in names {
        let Some(tag) = ItemTag::from_name(name) else {
            let known: Vec<&str> = ItemTag::ALL.iter().map(|t| t.name()).collect();
            return Err(format!("unknown tag `{name}` (known: {})", known.join(", ")));
        };
        if tags.contains(tag) {
            return Err(format!("tag `{name}` listed twice"));
        }
        tags = tags.with(tag);
    }
    Ok(tags)
}

/// A field that belongs to exactly the kinds with `tag`.
fn require(
    tags: ItemTags,
    tag: ItemTag,
    present: bool,
    f: &'static str,
) -> Result<(), (&'static str, String)> {
    match (tags.contains(tag), present) {
        (true, false) => Err((f, format!("required for `{}` kinds", tag.name()))),
        (false, true) => Err((f, format!("only `{}` kinds have it", tag.name()))),
        _ => Ok(()),
    }
}

fn capacity(d: &ItemDef, tags: ItemTags) -> Result<u16, (&'static str, String)> {
    require(tags, ItemTag::Container, d.capacity.is_some(), "capacity")?;
    let Some(c) = d.capacity else { return Ok(0) };
    if !(1..=MAX_CAPACITY).contains(&c) {
        return Err(("capacity", format!("{c} is outside 1..={MAX_CAPACITY}")));
    }
    if d.max_stack != 1 {
        return Err(("max_stack", "a container kind is not stackable: must be 1".into()));
    }
    Ok(c)
}

fn places(
    d: &ItemDef,
    tags: ItemTags,
    objects: &[ObjectKind],
) -> Result<Option<u32>, (&'static str, String)> {
    require(tags, ItemTag::Placeable, d.places.is_some(), "places")?;
    let Some(name) = &d.places else { return Ok(None) };
    match objects.iter().find(|o| &o.name == name) {
        Some(o) => Ok(Some(o.id)),
        None => Err(("places", format!("unknown object kind `{name}`"))),
    }
}

/// The object kind a seed grows into: required for `seed` kinds, a known kind with soil to be
/// planted on that holds no items.
fn plants(
    d: &ItemDef,
    tags: ItemTags,
    objects: &[ObjectKind],
) -> Result<Option<u32>, (&'static str, String)> {
    require(tags, ItemTag::Seed, d.plants.is_some(), "plants")?;
    let Some(name) = &d.plants else { return Ok(None) };
    match objects.iter().find(|o| &o.name == name) {
        None => Err(("plants", format!("unknown object kind `{name}`"))),
        Some(o) if o.soil.is_empty() => Err(("plants", format!("object kind `{name}` names no soil"))),
        Some(o) if o.capacity.is_some() => Err(("plants", format!("object kind `{name}` holds items"))),
        Some(o) => Ok(Some(o.id)),
    }
}

fn weapon_ok(damage: u32, range: i32, cooldown: u32) -> Result<(), (&'static str, String)> {
    if !(1..=MAX_DAMAGE).contains(&damage) {
        return Err(("weapon.damage", format!("{damage} is outside 1..={MAX_DAMAGE}")));
    }
    if !(0..=MAX_WEAPON_RANGE).contains(&range) {
        return Err(("weapon.range", format!("{range} is outside 0..={MAX_WEAPON_RANGE}")));
    }
    if !(1..=MAX_COOLDOWN_TICKS).contains(&cooldown) {
        return Err(("weapon.cooldown_ticks", format!("{cooldown} is outside 1..={MAX_COOLDOWN_TICKS}")));
    }
    Ok(())
}

fn starter(file: &ItemFile, table: &ItemTable, rules: &ItemRules) -> Result<Vec<StarterStack>, ContentError> {
    let kit = &file.starter.kit;
    if kit.len() > usize::from(rules.inventory_slots) {
        let why = format!("{} stacks do not fit {} inventory slots", kit.len(), rules.inventory_slots);
        return Err(ContentError::new(ITEM_FILE, "starter.kit", why));
    }
    let mut stacks = Vec::with_capacity(kit.len());
    for (i, entry) in kit.iter().enumerate() {
        let field = |f: &str| format!("starter.kit[{i}].{f}");
        let Some(kind) = table.named(&entry.item) else {
            let why = format!("unknown item kind `{}`", entry.item);
            return Err(ContentError::new(ITEM_FILE, field("item"), why));
        };
        if !(1..=kind.max_stack).contains(&entry.count) {
            let why =
                format!("{} is outside 1..={} (max_stack of {})", entry.count, kind.max_stack, kind.name);
            return Err(ContentError::new(ITEM_FILE, field("count"), why));
        }
        stacks.push(StarterStack { kind: kind.id, count: entry.count, quality: file.starter.quality });
    }
    Ok(stacks)
}

/// Checks the object kinds' item fields (`becomes`, the pile role) against the item table;
/// returns the pile kind's id. With item kinds, exactly one object kind is the pile; without,
/// at most one.
pub(super) fn object_items(
    objects: &[ObjectKind],
    items: &ItemTable,
    rules: &ItemRules,
) -> Result<Option<u32>, ContentError> {
    let slots = rules.inventory_capacity();
    let (mut pile, mut corpse) = (None, None);
    for (i, o) in objects.iter().enumerate() {
        let field = |f: &str| format!("object[{i}] ({}).{f}", o.name);
        if let Some(name) = &o.becomes
            && items.named(name).is_none()
        {
            let why = format!("unknown item kind `{name}`");
            return Err(ContentError::new(OBJECT_FILE, field("becomes"), why));
        }
        if o.role == Some(ObjectRole::Pile) {
            pile_kind(o, pile).map_err(|(f, why)| ContentError::new(OBJECT_FILE, field(f), why))?;
            pile = Some(o.id);
        }
        if o.role == Some(ObjectRole::Corpse) {
            corpse_kind(o, corpse, slots)
                .map_err(|(f, why)| ContentError::new(OBJECT_FILE, field(f), why))?;
            corpse = Some(o.id);
        }
    }
    if pile.is_none() && !items.is_empty() {
        return Err(ContentError::new(OBJECT_FILE, "object", "one object kind needs role = \"pile\""));
    }
    Ok(pile)
}

/// The corpse kind holds everything a character carries, slot for slot.
fn corpse_kind(o: &ObjectKind, earlier: Option<u32>, slots: u16) -> Result<(), (&'static str, String)> {
    if let Some(id) = earlier {
        return Err(("role", format!("object kind {id} is already the corpse")));
    }
    if o.capacity.is_none_or(|c| c < slots) {
        return Err(("capacity", format!("a corpse holds a whole inventory: at least {slots} slots")));
    }
    if o.becomes.is_some() {
        return Err(("becomes", "a corpse never becomes an item".into()));
    }
    Ok(())
}

fn pile_kind(o: &ObjectKind, earlier: Option<u32>) -> Result<(), (&'static str, String)> {
    if let Some(id) = earlier {
        return Err(("role", format!("object kind {id} is already the pile")));
    }
    if o.capacity.is_none() {
        return Err(("capacity", "the pile holds items: capacity is required".into()));
    }
    if o.becomes.is_some() {
        return Err(("becomes", "a pile never becomes an item".into()));
    }
    Ok(())
}

//! What interacting with an object gives (`gather` of an object kind in `objects.toml`): the tool
//! it needs in hand, how long it takes, what it costs and earns, what it yields (at every stage,
//! or by growth stage), and what becomes of the object. As the file spells it, as validated
//! (item and object kinds by id, stages by index), and the checks, whose errors name the file
//! and the field (`object[i] (name).gather.field`).

use super::defs::{OBJECT_FILE, ObjectKind};
use super::item_kinds::{ItemTable, ItemTag};
use super::recipes::MAX_EXPERIENCE;
use crate::error::ContentError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Longest gathering: a minute at 20 ticks/s.
pub const MAX_GATHER_TICKS: u32 = 1200;
/// Most item kinds one gathering gives.
pub const MAX_YIELD_KINDS: usize = 8;
/// Largest quality spread (± points around the base quality).
pub const MAX_QUALITY_SPREAD: u32 = 100;

/// `gather` of an object kind as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatherDef {
    /// An item tag the character must hold in its hand slot (`"axe"`).
    #[serde(default)]
    pub tool: Option<String>,
    /// Ticks the work takes (20 ticks/s).
    pub ticks: u32,
    /// Stamina it costs.
    pub stamina: u16,
    /// Gathering experience it gives.
    pub experience: u32,
    /// Quality variation: what it gives is the base quality ± up to `spread`.
    #[serde(default)]
    pub spread: u32,
    /// Item name → count given at any stage.
    #[serde(default)]
    pub items: BTreeMap<String, u32>,
    /// Stage name → (item name → count): what it gives at each stage listed (a growing kind);
    /// at a stage not listed it gives nothing yet.
    #[serde(default)]
    pub stages: BTreeMap<String, BTreeMap<String, u32>>,
    /// Object kind the object becomes (a tree becomes a stump).
    #[serde(default)]
    pub leaves: Option<String>,
    /// Growth stage the object goes back to, starting again (a bush stripped bare).
    #[serde(default)]
    pub back_to: Option<String>,
    /// True when the object is gone afterwards (a crop harvested).
    #[serde(default)]
    pub removed: bool,
}

/// So many items of one kind given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yield {
    /// Item kind id.
    pub kind: u32,
    /// How many (at most the kind's `max_stack`).
    pub count: u32,
}

/// What becomes of a gathered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing: it can be gathered again at once (a rock).
    Stays,
    /// It becomes an object of this kind (a tree's stump), at stage 0 from the gathering.
    Becomes(u32),
    /// It goes back to this growth stage, which starts at the gathering (a bush regrows).
    Regrows(u16),
    /// It leaves the world (a harvested crop).
    Removed,
}

/// `gather` of an object kind, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// The tag of the item the character must hold in its hand slot, if any.
    pub tool: Option<ItemTag>,
    /// Ticks the work takes (1..=[`MAX_GATHER_TICKS`]).
    pub ticks: u32,
    /// Stamina it costs (paid when the work completes).
    pub stamina: u16,
    /// Gathering experience it gives.
    pub experience: u32,
    /// Quality variation (0..=[`MAX_QUALITY_SPREAD`]).
    pub spread: u32,
    /// What becomes of the object.
    pub after: After,
    /// What it gives by stage index (one entry for a kind that does not grow); an empty entry
    /// gives nothing at that stage.
    yields: Vec<Vec<Yield>>,
}

impl Gather {
    /// What gathering gives at growth stage `stage` (a stage beyond the table reads as the last,
    /// as growth does); empty when nothing can be gathered at that stage.
    pub fn yields_at(&self, stage: u16) -> &[Yield] {
        let last = self.yields.len().saturating_sub(1);
        self.yields.get(usize::from(stage).min(last)).map_or(&[], Vec::as_slice)
    }
}

/// A field's error: the field below `gather`, and what is wrong.
type FieldError = (String, String);

/// Validates the `gather` of every object kind; returns them dense by object kind id.
pub(super) fn gathering(
    objects: &[ObjectKind],
    items: &ItemTable,
) -> Result<Vec<Option<Gather>>, ContentError> {
    let len = objects.iter().map(|o| o.id as usize + 1).max().unwrap_or(0);
    let mut table = vec![None; len];
    for (i, o) in objects.iter().enumerate() {
        let Some(def) = &o.gather else { continue };
        let gather = gather(o, def, objects, items).map_err(|(f, why)| {
            ContentError::new(OBJECT_FILE, format!("object[{i}] ({}).gather.{f}", o.name), why)
        })?;
        table[o.id as usize] = Some(gather);
    }
    Ok(table)
}

fn gather(
    o: &ObjectKind,
    d: &GatherDef,
    objects: &[ObjectKind],
    items: &ItemTable,
) -> Result<Gather, FieldError> {
    if o.capacity.is_some() {
        return Err(("tool".into(), "an object that holds items is opened, not gathered from".into()));
    }
    let tool = match &d.tool {
        None => None,
        Some(name) => Some(ItemTag::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = ItemTag::ALL.iter().map(|t| t.name()).collect();
            ("tool".to_string(), format!("unknown tag `{name}` (known: {})", known.join(", ")))
        })?),
    };
    if !(1..=MAX_GATHER_TICKS).contains(&d.ticks) {
        return Err(("ticks".into(), format!("{} is outside 1..={MAX_GATHER_TICKS}", d.ticks)));
    }
    if d.experience > MAX_EXPERIENCE {
        return Err(("experience".into(), format!("{} is above {MAX_EXPERIENCE}", d.experience)));
    }
    if d.spread > MAX_QUALITY_SPREAD {
        return Err(("spread".into(), format!("{} is above {MAX_QUALITY_SPREAD}", d.spread)));
    }
    let yields = yields(o, d, items)?;
    let after = after(o, d, objects)?;
    let (ticks, stamina, experience, spread) = (d.ticks, d.stamina, d.experience, d.spread);
    Ok(Gather { tool, ticks, stamina, experience, spread, after, yields })
}

/// The yields by stage: `items` at every stage, or `stages` at the stages they name.
fn yields(o: &ObjectKind, d: &GatherDef, items: &ItemTable) -> Result<Vec<Vec<Yield>>, FieldError> {
    let stages = o.growth.as_ref().map_or(1, |g| g.stages.len());
    match (d.items.is_empty(), d.stages.is_empty()) {
        (false, true) => Ok(vec![stack_list(&d.items, items, "items")?; stages]),
        (true, false) => {
            let Some(growth) = &o.growth else {
                return Err(("stages".into(), "only a kind that grows yields by stage: use `items`".into()));
            };
            let mut by_stage = vec![Vec::new(); stages];
            for (name, list) in &d.stages {
                let field = format!("stages.{name}");
                let Some(stage) = growth.stage_named(name) else {
                    return Err((field, format!("`{name}` is no growth stage of {}", o.name)));
                };
                by_stage[usize::from(stage)] = stack_list(list, items, &field)?;
            }
            Ok(by_stage)
        }
        _ => Err(("items".into(), "exactly one of `items` and `stages` says what it gives".into())),
    }
}

/// `item name → count`, checked: known kinds, 1..=max_stack each, 1..=[`MAX_YIELD_KINDS`] kinds.
fn stack_list(
    list: &BTreeMap<String, u32>,
    items: &ItemTable,
    field: &str,
) -> Result<Vec<Yield>, FieldError> {
    if list.is_empty() || list.len() > MAX_YIELD_KINDS {
        let why = format!("{} item kinds, must be 1..={MAX_YIELD_KINDS}", list.len());
        return Err((field.to_string(), why));
    }
    let mut out = Vec::with_capacity(list.len());
    for (name, &count) in list {
        let Some(kind) = items.named(name) else {
            return Err((field.to_string(), format!("unknown item kind `{name}`")));
        };
        if !(1..=kind.max_stack).contains(&count) {
            let why = format!("{count} is outside 1..={} (max_stack of {name})", kind.max_stack);
            return Err((format!("{field}.{name}"), why));
        }
        out.push(Yield { kind: kind.id, count });
    }
    Ok(out)
}

/// What becomes of the object: at most one of `leaves`, `back_to` and `removed`.
fn after(o: &ObjectKind, d: &GatherDef, objects: &[ObjectKind]) -> Result<After, FieldError> {
    let given = usize::from(d.leaves.is_some()) + usize::from(d.back_to.is_some()) + usize::from(d.removed);
    if given > 1 {
        return Err(("leaves".into(), "at most one of `leaves`, `back_to` and `removed`".into()));
    }
    if let Some(name) = &d.leaves {
        let Some(kind) = objects.iter().find(|k| &k.name == name) else {
            return Err(("leaves".into(), format!("unknown object kind `{name}`")));
        };
        if kind.id == o.id || kind.capacity.is_some() {
            return Err(("leaves".into(), format!("`{name}` is itself or holds items")));
        }
        return Ok(After::Becomes(kind.id));
    }
    if let Some(name) = &d.back_to {
        let stage = o.growth.as_ref().and_then(|g| g.stage_named(name));
        let why = || format!("`{name}` is no growth stage of {}", o.name);
        return stage.map(After::Regrows).ok_or_else(|| ("back_to".to_string(), why()));
    }
    Ok(if d.removed { After::Removed } else { After::Stays })
}

//! Validation of the object kinds' `gather` tables against the item and object kinds: every
//! error names the file and the field (`object[i] (name).gather.field`).

use super::defs::{OBJECT_FILE, ObjectKind};
use super::gathering::{
    After, Gather, GatherDef, MAX_GATHER_TICKS, MAX_QUALITY_SPREAD, MAX_YIELD_KINDS, Yield,
};
use super::item_kinds::{ItemTable, ItemTag};
use super::recipes::MAX_EXPERIENCE;
use crate::error::ContentError;
use std::collections::BTreeMap;

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
        if o.capacity.is_some() {
            let why = "an object that holds items is opened, not gathered from";
            return Err(ContentError::new(OBJECT_FILE, format!("object[{i}] ({}).gather", o.name), why));
        }
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

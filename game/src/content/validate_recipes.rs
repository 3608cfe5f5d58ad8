//! Validation of `recipes.toml` against the item and object kinds: builds the recipe book;
//! every error names the file and the field (`recipe[i] (name).field`).

use super::defs::{ObjectKind, RECIPE_FILE};
use super::item_kinds::{ItemKind, ItemTable, ItemTag};
use super::recipes::{
    Experience, ExperienceKind, MAX_CRAFT_TICKS, MAX_EXPERIENCE, MAX_INGREDIENTS, MAX_RECIPE_ID,
    MAX_RECIPE_INPUT, MAX_STAMINA_COST, MAX_TOOLS, Recipe, RecipeBook, RecipeDef, RecipeFile, RecipeStack,
    ToolNeed, WeightsDef,
};
use crate::craft::Weights;
use crate::error::ContentError;

/// A field's error: the field's name below the recipe, and what is wrong.
type FieldError = (String, String);

/// Validates every recipe of `file`.
pub(super) fn recipes(
    file: RecipeFile,
    items: &ItemTable,
    objects: &[ObjectKind],
) -> Result<RecipeBook, ContentError> {
    let mut book: Vec<Recipe> = Vec::with_capacity(file.recipe.len());
    for (i, def) in file.recipe.iter().enumerate() {
        let recipe = recipe(def, &book, items, objects).map_err(|(f, why)| {
            ContentError::new(RECIPE_FILE, format!("recipe[{i}] ({}).{f}", def.name), why)
        })?;
        book.push(recipe);
    }
    Ok(RecipeBook::new(book))
}

fn recipe(
    d: &RecipeDef,
    before: &[Recipe],
    items: &ItemTable,
    objects: &[ObjectKind],
) -> Result<Recipe, FieldError> {
    let id = id(d.id, before)?;
    if d.name.is_empty() || before.iter().any(|p| p.name == d.name) {
        return Err(("name".into(), "empty or duplicate name".into()));
    }
    let result = result(d, items)?;
    let ingredients = ingredients(d, items, result.kind)?;
    let tools = tools(&d.tools, items, &ingredients)?;
    if d.stamina > MAX_STAMINA_COST {
        return Err(("stamina".into(), format!("{} is above {MAX_STAMINA_COST}", d.stamina)));
    }
    if !(1..=MAX_CRAFT_TICKS).contains(&d.ticks) {
        return Err(("ticks".into(), format!("{} is outside 1..={MAX_CRAFT_TICKS}", d.ticks)));
    }
    let experience = experience(d)?;
    let station = station(d.station.as_deref(), objects)?;
    let weights = weights(d.weights.as_ref())?;
    let (name, stamina, ticks) = (d.name.clone(), d.stamina, d.ticks);
    Ok(Recipe { id, name, result, ingredients, tools, stamina, ticks, experience, station, weights })
}

fn id(id: u32, before: &[Recipe]) -> Result<u16, FieldError> {
    let out_of_range = || ("id".to_string(), format!("{id} is outside 1..={MAX_RECIPE_ID}"));
    let id = u16::try_from(id).ok().filter(|&i| i >= 1).ok_or_else(out_of_range)?;
    if before.iter().any(|p| p.id == id) {
        return Err(("id".into(), format!("duplicate id {id}")));
    }
    Ok(id)
}

fn kind<'a>(items: &'a ItemTable, name: &str, field: &str) -> Result<&'a ItemKind, FieldError> {
    items.named(name).ok_or_else(|| (field.to_string(), format!("unknown item kind `{name}`")))
}

fn result(d: &RecipeDef, items: &ItemTable) -> Result<RecipeStack, FieldError> {
    let k = kind(items, &d.result.item, "result.item")?;
    let count = d.result.count;
    if count == 0 {
        return Err(("result.count".into(), "must be at least 1".into()));
    }
    if count > k.max_stack {
        let why = if k.stackable() {
            format!("{count} is above {}'s max_stack {}", k.name, k.max_stack)
        } else {
            format!("{count} is above 1: {} is not stackable", k.name)
        };
        return Err(("result.count".into(), why));
    }
    Ok(RecipeStack { kind: k.id, count })
}

fn ingredients(d: &RecipeDef, items: &ItemTable, result: u32) -> Result<Vec<RecipeStack>, FieldError> {
    if d.ingredients.is_empty() {
        return Err(("ingredients".into(), "a recipe needs at least one ingredient".into()));
    }
    if d.ingredients.len() > MAX_INGREDIENTS {
        let why = format!("{} kinds, at most {MAX_INGREDIENTS}", d.ingredients.len());
        return Err(("ingredients".into(), why));
    }
    let mut out = Vec::with_capacity(d.ingredients.len());
    let mut total = 0u64;
    for (name, &count) in &d.ingredients {
        let field = format!("ingredients.{name}");
        let k = kind(items, name, &field)?;
        if count == 0 {
            return Err((field, "count must be at least 1".into()));
        }
        if k.id == result {
            return Err((field, "the result cannot be its own ingredient".into()));
        }
        total += u64::from(count);
        out.push(RecipeStack { kind: k.id, count });
    }
    if total > u64::from(MAX_RECIPE_INPUT) {
        let why = format!("{total} items in all, at most {MAX_RECIPE_INPUT}");
        return Err(("ingredients".into(), why));
    }
    out.sort_by_key(|s| s.kind);
    Ok(out)
}

fn tools(
    names: &[String],
    items: &ItemTable,
    ingredients: &[RecipeStack],
) -> Result<Vec<ToolNeed>, FieldError> {
    if names.len() > MAX_TOOLS {
        return Err(("tools".into(), format!("{} tools, at most {MAX_TOOLS}", names.len())));
    }
    let mut out: Vec<ToolNeed> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let field = format!("tools[{j}]");
        let need = tool_need(name, items).ok_or_else(|| {
            let tags: Vec<&str> = ItemTag::ALL.iter().map(|t| t.name()).collect();
            let why = format!("`{name}` is neither a tag ({}) nor an item kind", tags.join(", "));
            (field.clone(), why)
        })?;
        if out.contains(&need) {
            return Err((field, format!("`{name}` listed twice")));
        }
        let consumed = ingredients.iter().filter_map(|s| items.get(s.kind)).find(|k| need.met_by(k));
        if let Some(k) = consumed {
            return Err((field, format!("ingredient `{}` would serve as this tool: a tool is kept", k.name)));
        }
        out.push(need);
    }
    Ok(out)
}

/// A tag name means any item with that tag (a tag wins over an item kind of the same name);
/// otherwise an item kind's name.
fn tool_need(name: &str, items: &ItemTable) -> Option<ToolNeed> {
    ItemTag::from_name(name).map(ToolNeed::Tag).or_else(|| items.named(name).map(|k| ToolNeed::Kind(k.id)))
}

fn experience(d: &RecipeDef) -> Result<Experience, FieldError> {
    let name = &d.experience.kind;
    let Some(kind) = ExperienceKind::from_name(name) else {
        let known: Vec<&str> = ExperienceKind::ALL.iter().map(|k| k.name()).collect();
        let why = format!("unknown experience kind `{name}` (known: {})", known.join(", "));
        return Err(("experience.kind".into(), why));
    };
    let amount = d.experience.amount;
    if amount > MAX_EXPERIENCE {
        return Err(("experience.amount".into(), format!("{amount} is above {MAX_EXPERIENCE}")));
    }
    Ok(Experience { kind, amount })
}

fn station(name: Option<&str>, objects: &[ObjectKind]) -> Result<Option<u32>, FieldError> {
    let Some(name) = name else { return Ok(None) };
    match objects.iter().find(|o| o.name == name) {
        Some(o) => Ok(Some(o.id)),
        None => Err(("station".into(), format!("unknown object kind `{name}`"))),
    }
}

fn weights(w: Option<&WeightsDef>) -> Result<Weights, FieldError> {
    let Some(w) = w else { return Ok(Weights::DEFAULT) };
    for (f, v) in [("weights.ingredients", w.ingredients), ("weights.tools", w.tools)] {
        if v > Weights::MAX {
            return Err((f.into(), format!("{v} is above {}", Weights::MAX)));
        }
    }
    if w.ingredients + w.tools == 0 {
        return Err(("weights".into(), "at least one weight must be above 0".into()));
    }
    Ok(Weights { ingredients: w.ingredients, tools: w.tools })
}

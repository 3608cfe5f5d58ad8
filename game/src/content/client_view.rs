//! What the browser client needs of the content, as the `/content.json` document the shard
//! serves (field names fixed by the browser client's contract): terrains, object kinds, the
//! character, movement, stats and chat rules, item kinds and rules, recipes. Built here, next to
//! the content types, so the field list lives in one place.

use super::{Content, ItemKind, ObjectKind, Recipe, RecipeStack, ToolNeed};
use serde_json::{Value, json};

/// Simulation settings the client's prediction needs, which are not content (the shard's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientParams {
    /// Ticks per second.
    pub tick_hz: u32,
    /// A move without progress for this many ticks is impossible.
    pub stuck_ticks: u16,
    /// A follow order ends beyond this distance (1/256 tile).
    pub follow_range: i32,
}

/// The `/content.json` document.
pub fn client_json(content: &Content, params: ClientParams) -> Value {
    let c = &content.character;
    json!({
        "tick_hz": params.tick_hz,
        "terrains": content.terrains.iter().map(|t| json!({"id": t.id, "name": t.name, "blocks": t.blocks}))
            .collect::<Vec<_>>(),
        "objects": content.objects.iter().map(object).collect::<Vec<_>>(),
        "character": {"radius": c.radius, "max_speed": c.max_speed, "interact_range": c.interact_range},
        "movement": {"stuck_ticks": params.stuck_ticks, "follow_range": params.follow_range},
        "stats": {
            "max_health": content.stats.max_health,
            "hunger_limit": content.stats.hunger_limit,
            "max_stamina": content.stats.max_stamina,
        },
        "chat": {"radius": content.chat.radius, "max_chars": content.chat.max_chars},
        "items": content.items.iter().map(item).collect::<Vec<_>>(),
        "item_rules": {
            "inventory_slots": content.item_rules.inventory_slots,
            "max_depth": content.item_rules.max_depth,
        },
        "recipes": content.recipes.iter().map(recipe).collect::<Vec<_>>(),
    })
}

fn object(o: &ObjectKind) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "radius": o.radius,
        "capacity": o.capacity,
        "stages": o.growth.as_ref().map(|g| g.stages.clone()),
    })
}

fn item(k: &ItemKind) -> Value {
    json!({
        "id": k.id,
        "name": k.name,
        "max_stack": k.max_stack,
        "capacity": k.capacity,
        "food": k.food,
        "weapon": k.weapon.map(|w| json!({
            "damage": w.damage, "range": w.range, "cooldown_ticks": w.cooldown_ticks,
        })),
        "places": k.places,
        "plants": k.plants,
        "tags": k.tags.iter().map(|t| t.name()).collect::<Vec<_>>(),
    })
}

fn stack(s: &RecipeStack) -> Value {
    json!({"kind": s.kind, "count": s.count})
}

/// A tool need: a tag's name (any item with it) or an item kind's id.
fn tool(t: &ToolNeed) -> Value {
    match t {
        ToolNeed::Tag(tag) => json!(tag.name()),
        ToolNeed::Kind(id) => json!(id),
    }
}

fn recipe(r: &Recipe) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "result": stack(&r.result),
        "ingredients": r.ingredients.iter().map(stack).collect::<Vec<_>>(),
        "tools": r.tools.iter().map(tool).collect::<Vec<_>>(),
        "stamina": r.stamina,
        "ticks": r.ticks,
        "station": r.station,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_the_content() {
        let content = Content::builtin();
        let params = ClientParams { tick_hz: 20, stuck_ticks: 40, follow_range: 64 * 256 };
        let doc = client_json(&content, params);
        assert_eq!(doc["tick_hz"], 20);
        assert_eq!(doc["movement"]["stuck_ticks"], 40);
        assert_eq!(doc["terrains"].as_array().unwrap().len(), content.terrains.len());
        assert_eq!(doc["terrains"][0]["name"], content.terrains[0].name.as_str());
        assert_eq!(doc["objects"].as_array().unwrap().len(), content.objects.len());
        assert_eq!(doc["items"].as_array().unwrap().len(), content.items.len());
        assert_eq!(doc["recipes"].as_array().unwrap().len(), content.recipes.len());
        assert_eq!(doc["character"]["max_speed"], content.character.max_speed);
        let axe = content.items.iter().find(|k| k.has(super::super::ItemTag::Axe)).unwrap();
        let listed = doc["items"].as_array().unwrap().iter().find(|i| i["id"] == axe.id).unwrap();
        assert!(listed["tags"].as_array().unwrap().contains(&json!("axe")));
        let tooled = content.recipes.iter().find(|r| !r.tools.is_empty()).unwrap();
        let listed = doc["recipes"].as_array().unwrap().iter().find(|r| r["id"] == tooled.id).unwrap();
        assert_eq!(listed["tools"].as_array().unwrap().len(), tooled.tools.len());
    }
}

//! The "ways" system: a player's character that uses (interact verb 0) a way between layers (a
//! cave entrance, `role = "way_down"`, or its way out, `role = "way_up"`) travels to the map the
//! way leads to, at the way's place. The system only decides: the use is `Done` and the travel
//! is listed in [`Travels`]; the shard hands the character over after the tick (to itself or to
//! the shard simulating that map, `shard::travel`), like any hand-off. Bots never travel (their
//! use of a way is refused); a dead character cannot use one.

use crate::content::Content;
use crate::error::GameError;
use crate::orders::{ActionKind, ActionQueue, ActionResult};
use crate::sim::components::{Controller, Keys};
use crate::wire::verb;
use engine::{ResourceKey, Schedule, World};
use std::sync::Arc;
use store::MapId;

/// A character on its way to another layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Travel {
    /// The traveller's stored player id.
    pub player: i64,
    /// The map the way leads to.
    pub to: MapId,
    /// Where it arrives (the way's place, 1/256 tile): its spawn spot is searched from there.
    pub at: (i32, i32),
}

/// The travels decided since the shard last took them.
#[derive(Debug, Default)]
pub struct Travels {
    pub list: Vec<Travel>,
}

/// Registers the [`Travels`] resource.
pub(crate) fn register(world: &mut World) -> Result<ResourceKey<Travels>, GameError> {
    Ok(world.insert_resource("travels", Travels::default())?)
}

/// Adds the "ways" system of map `map` to the gameplay stage.
pub(crate) fn add_system(
    schedule: &mut Schedule,
    stage: usize,
    k: Keys,
    (queue, travels): (ResourceKey<ActionQueue>, ResourceKey<Travels>),
    (map, content): (MapId, Arc<Content>),
) -> Result<(), GameError> {
    // Where each object kind leads from this map, by kind id (read for every use action of
    // every working character: no lookups by name or role in the loop).
    let kinds = content.objects.iter().map(|o| o.id as usize + 1).max().unwrap_or(0);
    let leads: Vec<Option<MapId>> = (0..kinds).map(|kind| content.way_from(map, kind as u32)).collect();
    let any_way = leads.iter().any(Option::is_some);
    let sys = schedule.system(stage, "ways").reads(k.object).reads(k.controller).reads(k.vitals);
    sys.writes_resource(queue)
        .writes_resource(travels)
        .run(move |ctx, _| {
            if !any_way {
                return;
            }
            let mut queue = ctx.resource_mut(queue);
            let (objects, controllers, vitals) =
                (ctx.read(k.object), ctx.read(k.controller), ctx.read(k.vitals));
            let mut travels = ctx.resource_mut(travels);
            for action in queue.actions_mut() {
                if action.kind != (ActionKind::Interact { verb: verb::USE }) {
                    continue;
                }
                let Some(way) = objects.get(action.target) else { continue };
                let Some(&Some(to)) = leads.get(way.kind as usize) else { continue };
                let alive = vitals.get(action.actor).is_some_and(|v| !v.is_dead());
                action.result = match controllers.get(action.actor) {
                    Some(&Controller::Player(player)) if alive => {
                        let at = (way.pos.x, way.pos.y);
                        travels.list.push(Travel { player, to, at });
                        ActionResult::Done
                    }
                    _ => ActionResult::Refused,
                };
            }
        })
        .map_err(Into::into)
}

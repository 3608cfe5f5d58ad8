//! Where a survival bot travels: the nearest way to another layer in its chunks (a cave
//! entrance down, a cave's way out up), told apart by the content (`role = "way_down"` /
//! `"way_up"` in `schemas/content/objects.toml`) and the layers the bot's continent has.

use super::survival_gather::{WANTED_RANGE, distance2, objects_within};
use super::survival_plan::Plan;
use game::client::GameClient;

/// An interact on the nearest way within [`WANTED_RANGE`] that leads somewhere from this map,
/// none of `shunned` (ways whose use lately went nowhere).
pub fn travel(game: &GameClient, shunned: &[u64]) -> Option<Plan> {
    let (at, from) = (game.position()?, game.map()?.id);
    let content = game.world().content();
    let way = objects_within(game, at, WANTED_RANGE)
        .into_iter()
        .filter(|o| content.way_from(from, u32::from(o.kind)).is_some() && !shunned.contains(&o.entity))
        .min_by_key(|o| distance2(at, (o.x, o.y)))?;
    Some(Plan::Travel { way, from })
}

//! Death and respawn (§9): a character whose health reaches 0 (starving, or a killing hit) is
//! dead — the orders stage gives it nothing to do — and comes back after the content's
//! `respawn_seconds` rested and fed, at one of the map's respawn points when the shard set some
//! (its start area on the surface), else where it fell. What a dead player carried goes into a
//! corpse (the items feature reads [`Deaths::fresh`]).
//!
//! [`Deaths`] is filled by whoever kills (the vitals and combat systems) and emptied of the
//! previous tick's deaths when the vitals system starts a tick; the "death" system, after them,
//! queues each new death for its respawn and brings back those due.

use crate::content::StatRules;
use crate::error::GameError;
use crate::orders::Order;
use crate::sim::components::{Keys, Steer};
use crate::stats::Vitals;
use engine::{Entity, ResourceKey, Schedule, World};
use std::collections::VecDeque;
use std::sync::Arc;

/// Deaths and respawns of one map.
#[derive(Debug, Default)]
pub struct Deaths {
    /// Characters that died this tick and where they fell.
    pub fresh: Vec<(Entity, (i32, i32))>,
    /// Dead characters in death order (so in respawn order): when each comes back.
    waiting: VecDeque<(u64, Entity)>,
    /// Where characters come back; empty: where they fell.
    points: Arc<Vec<(i32, i32)>>,
    /// Deaths since start.
    pub died: u64,
    /// Respawns since start.
    pub respawned: u64,
}

impl Deaths {
    /// Records that `e` died at `at` this tick.
    pub fn died(&mut self, e: Entity, at: (i32, i32)) {
        self.fresh.push((e, at));
        self.died += 1;
    }

    /// Queues a character that is dead already (a player who logged out dead) to come back at
    /// `due_ms`.
    pub fn wait(&mut self, e: Entity, due_ms: u64) {
        self.waiting.push_back((due_ms, e));
    }

    /// Characters dead and not yet back.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Sets the respawn points (walkable spots; the shard gives its start area's).
    pub fn set_points(&mut self, points: Arc<Vec<(i32, i32)>>) {
        self.points = points;
    }

    /// The respawn point for the `n`th respawn of entity `e` (spread over the points).
    fn point(&self, e: Entity, n: u64) -> Option<(i32, i32)> {
        let len = self.points.len() as u64;
        (len > 0).then(|| self.points[((u64::from(e.index()) * 7919 + n) % len) as usize])
    }
}

/// Registers the [`Deaths`] resource.
pub(crate) fn register(world: &mut World) -> Result<ResourceKey<Deaths>, GameError> {
    Ok(world.insert_resource("deaths", Deaths::default())?)
}

/// Adds the "death" system to the gameplay stage (after vitals and combat).
pub(crate) fn add_system(
    schedule: &mut Schedule,
    stage: usize,
    k: Keys,
    deaths: ResourceKey<Deaths>,
    (stats, respawn_seconds): (StatRules, u32),
) -> Result<(), GameError> {
    let sys = schedule.system(stage, "death").writes(k.x).writes(k.y).writes(k.vitals).writes(k.order);
    sys.writes(k.steer)
        .reads_resource(k.clock)
        .writes_resource(deaths)
        .run(move |ctx, _| {
            let mut d = ctx.resource_mut(deaths);
            let now = ctx.resource(k.clock).now_ms;
            let due = now + u64::from(respawn_seconds) * 1000;
            for i in 0..d.fresh.len() {
                let e = d.fresh[i].0;
                d.waiting.push_back((due, e));
            }
            if d.waiting.front().is_none_or(|&(t, _)| t > now) {
                return;
            }
            let (mut x, mut y, mut vitals) = (ctx.write(k.x), ctx.write(k.y), ctx.write(k.vitals));
            let (mut orders, mut steers) = (ctx.write(k.order), ctx.write(k.steer));
            while let Some(&(_, e)) = d.waiting.front().filter(|&&(t, _)| t <= now) {
                d.waiting.pop_front();
                let Some(v) = vitals.get_mut(e).filter(|v| v.is_dead()) else { continue };
                *v = Vitals::rested(&stats);
                if let Some(o) = orders.get_mut(e) {
                    o.give(Order::Idle);
                }
                if let Some(s) = steers.get_mut(e) {
                    *s = Steer::default();
                }
                if let Some((px, py)) = d.point(e, d.respawned)
                    && let (Some(x), Some(y)) = (x.get_mut(e), y.get_mut(e))
                {
                    (*x, *y) = (px, py);
                }
                d.respawned += 1;
            }
        })
        .map_err(Into::into)
}

//! The movement stage: wave 1 rebuilds the characters' grid from this tick's positions, wave 2
//! moves every steering character in grid order, in parallel over the grouped character columns.
//! Each character reads only the grid snapshot, so results do not depend on the thread count.
//! Objects with a radius and living characters are in the way; a dead character is not (its
//! corpse lies where it fell and must be reachable before it comes back).

use super::chunks::ChunkTable;
use super::components::{Keys, Objects, Rules, Steer};
use crate::error::GameError;
use crate::movement::{Circle, step};
use crate::orders::Goal;
use crate::stats::Vitals;
use engine::{Column, Entity, Schedule, SortedGrid, World};
use rayon::prelude::*;

/// Characters per parallel work item.
const CHUNK: usize = 512;
/// Most obstacles considered per character per tick.
const MAX_CIRCLES: usize = 64;

/// One character's movement result, in grid order (scratch of the movement system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moved {
    /// New x.
    pub x: i32,
    /// New y.
    pub y: i32,
    /// Updated steering.
    pub steer: Steer,
}

/// Adds the "movement" stage (`grid`, then `move`) and its scratch resource.
pub(crate) fn add_stage(
    schedule: &mut Schedule,
    world: &mut World,
    k: Keys,
    rules: Rules,
) -> Result<(), GameError> {
    let scratch_key = world.insert_resource("move-scratch", Vec::<Moved>::new())?;
    let stage = schedule.add_stage("movement");
    // Wave 1 rebuilds the characters' grid from this tick's positions (after any spawn or
    // despawn), so wave 2 can walk it in grid order with valid source indices.
    add_grid(schedule, stage, k)?;
    let sys = schedule.system(stage, "move").writes(k.x).writes(k.y).writes(k.steer).reads(k.vitals);
    sys.reads_resource(k.chunks)
        .reads_resource(k.objects)
        .reads_resource(k.movers)
        .writes_resource(scratch_key)
        .run(move |ctx, _| {
            let (movers, vitals) = (ctx.resource(k.movers), ctx.read(k.vitals));
            let env = Env {
                chunks: &ctx.resource(k.chunks),
                objects: &ctx.resource(k.objects),
                movers: &movers,
                vitals: &vitals,
                rules,
            };
            let mut scratch = ctx.resource_mut(scratch_key);
            let (mut x, mut y, mut steer) = (ctx.write(k.x), ctx.write(k.y), ctx.write(k.steer));
            env.plan_moves(steer.values(), &mut scratch);
            let (xs, ys, steers) = (x.values_mut(), y.values_mut(), steer.values_mut());
            for (m, &src) in scratch.iter().zip(movers.sources()) {
                let s = src as usize;
                (xs[s], ys[s], steers[s]) = (m.x, m.y, m.steer);
            }
        })
        .map_err(Into::into)
}

/// What movement reads: terrain, objects, the characters' snapshot and who of them is dead.
struct Env<'a> {
    chunks: &'a ChunkTable,
    objects: &'a Objects,
    movers: &'a SortedGrid,
    vitals: &'a Column<Vitals>,
    rules: Rules,
}

impl Env<'_> {
    /// Computes every character's step in grid order (neighbours in space are neighbours in
    /// memory, so grid queries stay in cache) into `out`, aligned with the grid's entries.
    fn plan_moves(&self, steers: &[Steer], out: &mut Vec<Moved>) {
        out.clear();
        out.resize(self.movers.len(), Moved::default());
        let entries = self.movers.entries().par_chunks(CHUNK).zip(self.movers.sources().par_chunks(CHUNK));
        out.par_chunks_mut(CHUNK).zip(entries).for_each_init(
            || Vec::with_capacity(MAX_CIRCLES),
            |buf, (out, (entries, sources))| {
                for ((m, e), &src) in out.iter_mut().zip(entries).zip(sources) {
                    let (mut x, mut y, mut s) = (e.x, e.y, steers[src as usize]);
                    self.advance(e.entity, &mut x, &mut y, &mut s, buf);
                    *m = Moved { x, y, steer: s };
                }
            },
        );
    }

    /// Moves one character (when it is steering).
    fn advance(&self, me: Entity, x: &mut i32, y: &mut i32, s: &mut Steer, buf: &mut Vec<Circle>) {
        if !s.active {
            return;
        }
        self.gather(me, (*x, *y), buf);
        let goal = Goal { x: s.goal_x, y: s.goal_y, stop_dist: s.stop_dist };
        let input = goal.step_input(&self.rules.character, (*x, *y));
        let out = step(&input, self.chunks, buf);
        s.progress.track(&goal, (out.x, out.y), out.arrived);
        s.arrived = out.arrived;
        (*x, *y) = (out.x, out.y);
    }

    fn gather(&self, me: Entity, (x, y): (i32, i32), buf: &mut Vec<Circle>) {
        buf.clear();
        let (r, speed) = (self.rules.character.radius, self.rules.character.max_speed);
        let reach = speed + r + self.objects.max_radius;
        self.objects.grid.for_each_in_radius(x, y, reach, |g| {
            let cr = self.objects.radius.get(g.entity.index() as usize).copied().unwrap_or(0);
            if cr > 0 && buf.len() < MAX_CIRCLES {
                buf.push(Circle { x: g.x, y: g.y, r: cr });
            }
        });
        self.movers.for_each_in_radius(x, y, speed + 2 * r, |g| {
            let dead = self.vitals.get(g.entity).is_some_and(Vitals::is_dead);
            if g.entity != me && !dead && buf.len() < MAX_CIRCLES {
                buf.push(Circle { x: g.x, y: g.y, r });
            }
        });
    }
}

fn add_grid(schedule: &mut Schedule, stage: usize, k: Keys) -> Result<(), GameError> {
    schedule
        .system(stage, "grid")
        .reads(k.x)
        .reads(k.y)
        .writes_resource(k.movers)
        .run(move |ctx, _| {
            let n = ctx.group_len(k.group);
            let (x, y) = (ctx.read(k.x), ctx.read(k.y));
            ctx.resource_mut(k.movers).rebuild(&x.entities()[..n], &x.values()[..n], &y.values()[..n]);
        })
        .map_err(Into::into)
}

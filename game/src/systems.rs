//! The per-tick systems and their stages: ai → orders → actions → movement (grid rebuild, then
//! moves in grid order) → residency.
//! Movement runs in parallel over the grouped character columns (orders, too cheap to split, run
//! serially); each character reads only the previous tick's grid snapshot, so results do not
//! depend on the thread count.

use crate::chunks::ChunkTable;
use crate::content::CharacterRules;
use crate::content::Content;
use crate::error::GameError;
use crate::movement::{Circle, step};
use crate::orders::{ActionKind, ActionResult, Goal, Impossible, Order, OrderSlot, Outcome};
use crate::sim::{Keys, Moved, Objects, SimConfig, Steer};
use crate::steering::{Aim, Steering, steer};
use engine::{Column, Entity, Schedule, SortedGrid};
use rayon::prelude::*;

/// Characters per parallel work item.
const CHUNK: usize = 512;
/// Most obstacles considered per character per tick.
const MAX_CIRCLES: usize = 64;

/// Rules the systems need, copied out of content.
#[derive(Debug, Clone, Copy)]
struct Rules {
    character: CharacterRules,
    config: SimConfig,
}

/// Adds every stage and system to `schedule`.
pub fn build(
    schedule: &mut Schedule,
    k: Keys,
    content: &Content,
    config: SimConfig,
) -> Result<(), GameError> {
    let rules = Rules { character: content.character, config };
    crate::bots::add_stage(schedule, k)?;
    add_orders(schedule, k, rules)?;
    add_actions(schedule, k)?;
    add_movement(schedule, k, rules)?;
    crate::residency::add_stage(schedule, k, config)?;
    Ok(())
}

fn add_orders(schedule: &mut Schedule, k: Keys, rules: Rules) -> Result<(), GameError> {
    let stage = schedule.add_stage("orders");
    let sys = schedule.system(stage, "plan").reads(k.x).reads(k.y).writes(k.order).writes(k.steer);
    sys.reads_resource(k.objects)
        .run(move |ctx, _| {
            let n = ctx.world().group_len(k.group);
            let (x, y, objects) = (ctx.read(k.x), ctx.read(k.y), ctx.resource(k.objects));
            let (mut order, mut steer) = (ctx.write(k.order), ctx.write(k.steer));
            let look = Lookup { x: &x, y: &y, objects: &objects, rules };
            let owners = &x.entities()[..n];
            // Serial on purpose: ~25 ns a character, so a parallel split saves a tenth of a
            // millisecond and makes the tick wait whenever the helper holding a piece is
            // descheduled (orders p50 0.13 ms, with spikes to 6 ms under load, when parallel).
            let (orders, steers) = (&mut order.values_mut()[..n], &mut steer.values_mut()[..n]);
            for (at, (o, s)) in orders.iter_mut().zip(steers.iter_mut()).enumerate() {
                look.plan(owners[at], (x.values()[at], y.values()[at]), o, s);
            }
        })
        .map_err(Into::into)
}

/// Read access the orders system needs to resolve targets.
struct Lookup<'a> {
    x: &'a Column<i32>,
    y: &'a Column<i32>,
    objects: &'a Objects,
    rules: Rules,
}

impl Lookup<'_> {
    /// Position and radius of a target entity (character or object).
    fn target(&self, e: Entity) -> Option<(i32, i32, i32)> {
        if let (Some(&x), Some(&y)) = (self.x.get(e), self.y.get(e)) {
            return Some((x, y, self.rules.character.radius));
        }
        let g = self.objects.grid.get(e)?;
        let r = self.objects.radius.get(e.index() as usize).copied().unwrap_or(0);
        Some((g.x, g.y, r))
    }

    /// The shared order → steering rule ([`steer`]) with this map's rules.
    fn steer(&self, aim: Aim, pos: (i32, i32)) -> Steering {
        steer(aim, pos, &self.rules.character, self.rules.config.follow_range)
    }

    fn plan(&self, me: Entity, pos: (i32, i32), o: &mut OrderSlot, s: &mut Steer) {
        s.action = None;
        if s.seq != o.seq {
            (s.seq, s.stuck, s.arrived) = (o.seq, 0, false);
        }
        let stuck = s.stuck >= self.rules.config.stuck_ticks;
        match o.current {
            Order::Idle => s.active = false,
            Order::MoveTo { x, y } => match self.steer(Aim::Point(x, y), pos) {
                Steering::Go(_) if stuck => end(o, s, Outcome::Impossible(Impossible::Blocked)),
                Steering::Go(g) => go(s, g),
                Steering::Arrived | Steering::OutOfRange => end(o, s, Outcome::Done),
            },
            Order::Follow { target } => self.follow(me, pos, target, o, s),
            Order::Interact { target } => self.act(me, pos, target, ActionKind::Interact, o, s),
            Order::Attack { target } => self.act(me, pos, target, ActionKind::Attack, o, s),
        }
    }

    fn follow(&self, me: Entity, pos: (i32, i32), target: Entity, o: &mut OrderSlot, s: &mut Steer) {
        let Some((tx, ty, tr)) = self.checked_target(me, target, o, s) else { return };
        match self.steer(Aim::Follow { at: (tx, ty), radius: tr }, pos) {
            Steering::Go(g) => {
                go(s, g);
                s.stuck = 0;
            }
            Steering::Arrived | Steering::OutOfRange => end(o, s, Outcome::Impossible(Impossible::TooFar)),
        }
    }

    fn act(
        &self,
        me: Entity,
        pos: (i32, i32),
        target: Entity,
        kind: ActionKind,
        o: &mut OrderSlot,
        s: &mut Steer,
    ) {
        let Some((tx, ty, tr)) = self.checked_target(me, target, o, s) else { return };
        match self.steer(Aim::Act { at: (tx, ty), radius: tr }, pos) {
            Steering::Go(_) if s.stuck >= self.rules.config.stuck_ticks => {
                end(o, s, Outcome::Impossible(Impossible::Blocked))
            }
            Steering::Go(g) => go(s, g),
            Steering::Arrived | Steering::OutOfRange => {
                s.active = false;
                s.action = Some(kind);
            }
        }
    }

    fn checked_target(
        &self,
        me: Entity,
        target: Entity,
        o: &mut OrderSlot,
        s: &mut Steer,
    ) -> Option<(i32, i32, i32)> {
        if target == me {
            end(o, s, Outcome::Impossible(Impossible::SelfTarget));
            return None;
        }
        let t = self.target(target);
        if t.is_none() {
            end(o, s, Outcome::Impossible(Impossible::TargetGone));
        }
        t
    }
}

fn go(s: &mut Steer, g: Goal) {
    (s.goal_x, s.goal_y, s.stop_dist, s.active) = (g.x, g.y, g.stop_dist, true);
}

fn end(o: &mut OrderSlot, s: &mut Steer, outcome: Outcome) {
    o.finish(outcome);
    s.active = false;
    s.stuck = 0;
}

fn add_actions(schedule: &mut Schedule, k: Keys) -> Result<(), GameError> {
    let stage = schedule.add_stage("actions");
    let sys = schedule.system(stage, "act").writes(k.order).writes(k.steer).reads_resource(k.handlers);
    sys.run(move |ctx, cmds| {
        let n = ctx.world().group_len(k.group);
        let handlers = ctx.resource(k.handlers);
        let (mut order, mut steer) = (ctx.write(k.order), ctx.write(k.steer));
        for i in 0..n {
            let Some(kind) = steer.values_mut()[i].action.take() else { continue };
            let me = steer.entities()[i];
            let Some(slot) = order.get_mut(me) else { continue };
            let Some(target) = slot.current.target() else { continue };
            let result = match kind {
                ActionKind::Interact => handlers.interact(ctx.world(), me, target, cmds),
                ActionKind::Attack => handlers.attack(ctx.world(), me, target, cmds),
            };
            match result {
                ActionResult::Done => slot.finish(Outcome::Done),
                ActionResult::Continue => {}
                ActionResult::Refused => slot.finish(Outcome::Impossible(Impossible::Refused)),
            }
        }
    })
    .map_err(Into::into)
}

fn add_movement(schedule: &mut Schedule, k: Keys, rules: Rules) -> Result<(), GameError> {
    let stage = schedule.add_stage("movement");
    // Wave 1 rebuilds the characters' grid from this tick's positions (after any spawn or
    // despawn), so wave 2 can walk it in grid order with valid source indices.
    add_grid(schedule, stage, k)?;
    let sys = schedule.system(stage, "move").writes(k.x).writes(k.y).writes(k.steer);
    sys.reads_resource(k.chunks)
        .reads_resource(k.objects)
        .reads_resource(k.movers)
        .writes_resource(k.scratch)
        .run(move |ctx, _| {
            let movers = ctx.resource(k.movers);
            let env = Env {
                chunks: &ctx.resource(k.chunks),
                objects: &ctx.resource(k.objects),
                movers: &movers,
                rules,
            };
            let mut scratch = ctx.resource_mut(k.scratch);
            let (mut x, mut y, mut steer) = (ctx.write(k.x), ctx.write(k.y), ctx.write(k.steer));
            env.plan_moves(steer.values(), &mut scratch);
            let (owners, xs, changed) = x.split_mut();
            let (ys, steers) = (y.values_mut(), steer.values_mut());
            for (m, &src) in scratch.iter().zip(movers.sources()) {
                let s = src as usize;
                (xs[s], ys[s], steers[s]) = (m.x, m.y, m.steer);
                if m.moved {
                    changed.insert(owners[s].index() as usize);
                }
            }
            // y moved with x; mark it through its own column for replication.
            for (m, e) in scratch.iter().zip(movers.entries()) {
                if m.moved {
                    y.mark_changed(e.entity);
                }
            }
        })
        .map_err(Into::into)
}

/// What movement reads: terrain, objects, the characters' snapshot.
struct Env<'a> {
    chunks: &'a ChunkTable,
    objects: &'a Objects,
    movers: &'a SortedGrid,
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
                    let moved = self.advance(e.entity, &mut x, &mut y, &mut s, buf);
                    *m = Moved { x, y, steer: s, moved };
                }
            },
        );
    }

    /// Moves one character; true when it moved.
    fn advance(&self, me: Entity, x: &mut i32, y: &mut i32, s: &mut Steer, buf: &mut Vec<Circle>) -> bool {
        if !s.active {
            return false;
        }
        self.gather(me, (*x, *y), buf);
        let goal = Goal { x: s.goal_x, y: s.goal_y, stop_dist: s.stop_dist };
        let input = goal.step_input(&self.rules.character, (*x, *y));
        let out = step(&input, self.chunks, buf);
        let moved = (out.x, out.y) != (*x, *y);
        s.stuck = if moved || out.arrived { 0 } else { s.stuck.saturating_add(1) };
        s.arrived = out.arrived;
        (*x, *y) = (out.x, out.y);
        moved
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
            if g.entity != me && buf.len() < MAX_CIRCLES {
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
            let n = ctx.world().group_len(k.group);
            let (x, y) = (ctx.read(k.x), ctx.read(k.y));
            ctx.resource_mut(k.movers).rebuild(&x.entities()[..n], &x.values()[..n], &y.values()[..n]);
        })
        .map_err(Into::into)
}

//! The orders stage: each character's order becomes steering (a goal and how close to stop) or,
//! in reach of its target, an action queued for gameplay. Serial over the grouped character
//! columns: too cheap to split (see the loop).

use super::components::{Keys, Objects, Rules, Steer};
use crate::error::GameError;
use crate::orders::{ActionKind, ActionQueue, Goal, Impossible, Order, OrderSlot, Outcome};
use crate::steering::{Aim, Progress, Steering, steer};
use engine::{Column, Entity, ResourceKey, Schedule};

/// Adds the "orders" stage: the `plan` system.
pub(crate) fn add_stage(
    schedule: &mut Schedule,
    k: Keys,
    queue: ResourceKey<ActionQueue>,
    rules: Rules,
) -> Result<(), GameError> {
    let stage = schedule.add_stage("orders");
    let sys = schedule.system(stage, "plan").reads(k.x).reads(k.y).writes(k.order).writes(k.steer);
    sys.reads(k.vitals)
        .reads(k.wielded)
        .reads_resource(k.objects)
        .writes_resource(queue)
        .run(move |ctx, _| {
            let n = ctx.group_len(k.group);
            let (x, y, objects) = (ctx.read(k.x), ctx.read(k.y), ctx.resource(k.objects));
            let (vitals, wielded) = (ctx.read(k.vitals), ctx.read(k.wielded));
            let (mut order, mut steer) = (ctx.write(k.order), ctx.write(k.steer));
            let mut queue = ctx.resource_mut(queue);
            let look = Lookup { x: &x, y: &y, objects: &objects, rules };
            let owners = &x.entities()[..n];
            // Serial on purpose: ~25 ns a character, so a parallel split saves a tenth of a
            // millisecond and makes the tick wait whenever the helper holding a piece is
            // descheduled (orders p50 0.13 ms, with spikes to 6 ms under load, when parallel).
            let (orders, steers) = (&mut order.values_mut()[..n], &mut steer.values_mut()[..n]);
            for (at, (o, s)) in orders.iter_mut().zip(steers.iter_mut()).enumerate() {
                if vitals.values()[at].is_dead() {
                    // The dead do nothing: an order given meanwhile ends at once.
                    if o.current != Order::Idle {
                        end(o, s, Outcome::Impossible(Impossible::Dead));
                    }
                    continue;
                }
                let range = wielded.values()[at].weapon.range;
                look.plan(owners[at], (x.values()[at], y.values()[at]), range, o, s);
                if let (Some(kind), Some(target)) = (s.action.take(), o.current.target()) {
                    queue.push(owners[at], target, kind, o.seq);
                }
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

    fn plan(&self, me: Entity, pos: (i32, i32), range: i32, o: &mut OrderSlot, s: &mut Steer) {
        s.action = None;
        if s.seq != o.seq {
            (s.seq, s.progress, s.arrived) = (o.seq, Progress::default(), false);
        }
        let stuck = s.progress.stuck() >= self.rules.config.stuck_ticks;
        match o.current {
            Order::Idle => s.active = false,
            Order::MoveTo { x, y } => match self.steer(Aim::Point(x, y), pos) {
                Steering::Go(_) if stuck => end(o, s, Outcome::Impossible(Impossible::Blocked)),
                Steering::Go(g) => go(s, g),
                Steering::Arrived | Steering::OutOfRange => end(o, s, Outcome::Done),
            },
            Order::Follow { target } => self.follow(me, pos, target, o, s),
            Order::Interact { target, verb } => {
                self.act(me, pos, (target, ActionKind::Interact { verb }, None), o, s)
            }
            Order::Attack { target } => self.act(me, pos, (target, ActionKind::Attack, Some(range)), o, s),
        }
    }

    fn follow(&self, me: Entity, pos: (i32, i32), target: Entity, o: &mut OrderSlot, s: &mut Steer) {
        let Some((tx, ty, tr)) = self.checked_target(me, target, o, s) else { return };
        match self.steer(Aim::Follow { at: (tx, ty), radius: tr }, pos) {
            Steering::Go(g) => {
                go(s, g);
                s.progress = Progress::default();
            }
            Steering::Arrived | Steering::OutOfRange => end(o, s, Outcome::Impossible(Impossible::TooFar)),
        }
    }

    fn act(
        &self,
        me: Entity,
        pos: (i32, i32),
        (target, kind, weapon_range): (Entity, ActionKind, Option<i32>),
        o: &mut OrderSlot,
        s: &mut Steer,
    ) {
        let Some((tx, ty, tr)) = self.checked_target(me, target, o, s) else { return };
        let aim = match weapon_range {
            Some(range) => Aim::Strike { at: (tx, ty), radius: tr, range },
            None => Aim::Act { at: (tx, ty), radius: tr },
        };
        match self.steer(aim, pos) {
            Steering::Go(_) if s.progress.stuck() >= self.rules.config.stuck_ticks => {
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
    s.progress = Progress::default();
}

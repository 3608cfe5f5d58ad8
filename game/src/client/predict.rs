//! Client prediction with server reconciliation: the client records each Input it sends with the
//! tick the server should apply it at; on every Frame it drops the inputs the server applied,
//! takes the authoritative own position and replays the order in force tick by tick with the
//! server's own movement step, against the client's chunk cache. Other characters are not
//! predicted as obstacles.

use super::world::ClientWorld;
use crate::content::CharacterRules;
use crate::geom::TILE;
use crate::movement::{Circle, dist, step};
use crate::sim::SimConfig;
use crate::steering::{Aim, Goal, Progress, Steering, steer};
use net::protocol::{EntityId, Frame, Input, Order, order_code};
use std::collections::VecDeque;

/// A prediction further than this from the authoritative position counts as mispredicted
/// (1/8 tile, the server's own threshold for resending an entity).
pub const MISPREDICT_THRESHOLD: i64 = (TILE / 8) as i64;
/// Most ticks predicted past the newest frame (3.2 s at 20 Hz); further asks get `None`.
pub const MAX_PREDICT_TICKS: u64 = 64;
/// Most unapplied inputs kept (the oldest are forgotten past this).
const MAX_PENDING: usize = 256;

/// Misprediction counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PredictionStats {
    /// Frames compared with a prediction made before they arrived.
    pub predictions: u64,
    /// Of those, predictions off by more than [`MISPREDICT_THRESHOLD`].
    pub mispredicted: u64,
    /// Largest error seen, 1/256 tile.
    pub max_error: i64,
}

/// The authoritative state prediction starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Base {
    tick: u64,
    pos: (i32, i32),
    order_kind: u8,
    order_target: EntityId,
    /// Progress toward the goal of the order in force at `tick`, as the path predicted it.
    progress: Progress,
}

/// One predicted tick: where the character stands after it, which order was in force (by the
/// seq of the input that gave it) and how that order was getting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    pos: (i32, i32),
    origin: Option<u32>,
    progress: Progress,
    /// The order ended blocked (stuck too long), as the server ends it.
    ended: bool,
}

/// An input sent and not yet applied, with the tick the server should apply it at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    input: Input,
    apply_tick: u64,
}

/// Predicts the own character's position from the newest frame and the inputs in flight.
#[derive(Debug, Clone)]
pub struct Predictor {
    rules: CharacterRules,
    follow_range: i32,
    stuck_ticks: u16,
    /// Reach of the weapon in the own hand (edge to edge), for attack orders.
    weapon_range: i32,
    pending: VecDeque<Pending>,
    /// The last order the server applied, with its input's seq.
    applied: Option<(Order, u32)>,
    base: Option<Base>,
    /// `path[i]`: the predicted tick `base.tick + 1 + i`.
    path: Vec<Step>,
    circles: Vec<Circle>,
    stats: PredictionStats,
}

impl Predictor {
    /// A predictor for characters with `rules` (the content's `character` table) on a server
    /// with the default simulation settings.
    pub fn new(rules: CharacterRules) -> Self {
        Self {
            rules,
            follow_range: SimConfig::default().follow_range,
            stuck_ticks: SimConfig::default().stuck_ticks,
            weapon_range: 0,
            pending: VecDeque::new(),
            applied: None,
            base: None,
            path: Vec::new(),
            circles: Vec::new(),
            stats: PredictionStats::default(),
        }
    }

    /// Forgets the session (inputs, base); counters stay.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.applied = None;
        self.base = None;
        self.path.clear();
    }

    /// The reach of the weapon in the own hand (`Wielded::weapon.range`, the fist's when the
    /// hand is empty): attack orders approach to it, as the server's do.
    pub fn set_weapon_range(&mut self, range: i32) {
        if self.weapon_range != range {
            self.weapon_range = range;
            self.path.clear();
        }
    }

    /// Uses the server's follow range (`SimConfig::follow_range`) instead of the default.
    pub fn with_follow_range(mut self, follow_range: i32) -> Self {
        self.follow_range = follow_range;
        self
    }

    /// Records an Input the client sent (in increasing `seq` order) that the server should apply
    /// at `apply_tick`: the tick after the one it runs when the input arrives (an input can never
    /// take effect before the tick after the newest frame, whatever `apply_tick` says).
    pub fn record_input(&mut self, input: Input, apply_tick: u64) {
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending { input, apply_tick });
        self.path.clear();
    }

    /// Drops cached predictions (call when the terrain changed: a chunk arrived or left).
    pub fn invalidate(&mut self) {
        self.path.clear();
    }

    /// Inputs sent and not yet applied by the server, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &Input> {
        self.pending.iter().map(|p| &p.input)
    }

    /// Misprediction counters.
    pub fn stats(&self) -> PredictionStats {
        self.stats
    }

    /// Reconciles with a frame already applied to `world`: first scores the prediction made
    /// for its tick, then drops the inputs it applied and restarts from its own state.
    pub fn on_frame(&mut self, world: &ClientWorld, frame: &Frame) {
        if self.base.is_some_and(|b| frame.tick <= b.tick) {
            return;
        }
        if let Some(p) = self.predicted(world, frame.tick) {
            self.score(p, (frame.own.x, frame.own.y));
        }
        let reached = self.step_at(frame.tick);
        while let Some(p) = self.pending.front().filter(|p| p.input.seq <= frame.last_input_seq) {
            self.applied = Some((p.input.order, p.input.seq));
            self.pending.pop_front();
        }
        let origin = self.applied.map(|(_, seq)| seq);
        let progress = reached.filter(|s| s.origin == origin).map(|s| s.progress).unwrap_or_default();
        let (order_kind, order_target) = (frame.own.order, frame.own.order_target);
        let pos = (frame.own.x, frame.own.y);
        self.base = Some(Base { tick: frame.tick, pos, order_kind, order_target, progress });
        self.path.clear();
    }

    fn score(&mut self, predicted: (i32, i32), actual: (i32, i32)) {
        let err = dist(i64::from(predicted.0 - actual.0), i64::from(predicted.1 - actual.1));
        self.stats.predictions += 1;
        self.stats.max_error = self.stats.max_error.max(err);
        if err > MISPREDICT_THRESHOLD {
            self.stats.mispredicted += 1;
        }
    }

    /// Predicted own position at `tick` (at or after the newest frame's tick, at most
    /// [`MAX_PREDICT_TICKS`] past it); `None` before the first frame or out of that range.
    pub fn predicted(&mut self, world: &ClientWorld, tick: u64) -> Option<(i32, i32)> {
        let base = self.base?;
        let ahead = tick.checked_sub(base.tick)?;
        if ahead == 0 {
            return Some(base.pos);
        }
        if ahead > MAX_PREDICT_TICKS {
            return None;
        }
        while (self.path.len() as u64) < ahead {
            let t = base.tick + 1 + self.path.len() as u64;
            let in_force = self.order_at(&base, t);
            let origin = in_force.map(|(_, seq)| seq);
            let mut step = self.path.last().copied().unwrap_or(Step {
                pos: base.pos,
                origin: self.applied.map(|(_, seq)| seq),
                progress: base.progress,
                ended: false,
            });
            if step.origin != origin {
                (step.origin, step.progress, step.ended) = (origin, Progress::default(), false);
            }
            let order = in_force.filter(|_| !step.ended).map(|(o, _)| o);
            self.advance(world, order, t, &mut step);
            self.path.push(step);
        }
        self.path.get(ahead as usize - 1).map(|s| s.pos)
    }

    /// The predicted step for `tick`, if the current path holds it.
    fn step_at(&self, tick: u64) -> Option<Step> {
        let ahead = tick.checked_sub(self.base?.tick)?;
        self.path.get(usize::try_from(ahead).ok()?.checked_sub(1)?).copied()
    }

    /// The order the server carries out at tick `t` after the base frame: the newest unapplied
    /// input due by then, else the last applied order while the frame still reports it (same
    /// kind, same target).
    fn order_at(&self, base: &Base, t: u64) -> Option<(Order, u32)> {
        let due = |p: &&Pending| p.apply_tick.max(base.tick + 1) <= t;
        if let Some(p) = self.pending.iter().rev().find(due) {
            return Some((p.input.order, p.input.seq));
        }
        let (applied, seq) = self.applied?;
        let (kind, target) = (applied.code(), applied.target());
        (base.order_kind != order_code::STOP && kind == base.order_kind && target == base.order_target)
            .then_some((applied, seq))
    }

    /// One server tick under `order` from `step` (the state after tick `t − 1`): as the
    /// server's orders stage, a move-to or an action stuck for `stuck_ticks` ends blocked
    /// instead of stepping; otherwise movement steps and tracks its progress.
    fn advance(&mut self, world: &ClientWorld, order: Option<Order>, t: u64, step_: &mut Step) {
        let pos = step_.pos;
        let Some(order) = order else { return };
        let Some(goal) = self.goal(world, order, pos, t) else { return };
        let ends_when_stuck = !matches!(order, Order::Follow(_));
        if ends_when_stuck && step_.progress.stuck() >= self.stuck_ticks {
            step_.ended = true;
            return;
        }
        let terrain = world.chunks();
        let reach = self.rules.max_speed + self.rules.radius + terrain.max_object_radius();
        terrain.circles_near(pos.0, pos.1, reach, &mut self.circles);
        let out = step(&goal.step_input(&self.rules, pos), terrain, &self.circles);
        if ends_when_stuck {
            step_.progress.track(&goal, (out.x, out.y), out.arrived);
        }
        step_.pos = (out.x, out.y);
    }

    /// The steering goal of `order` at tick `t` by the server's rule ([`steer`]; targets are
    /// read where they stood after tick `t − 1`); `None` when not moving.
    fn goal(&self, world: &ClientWorld, order: Order, pos: (i32, i32), t: u64) -> Option<Goal> {
        let aim = match order {
            Order::Stop => return None,
            Order::MoveTo { x, y } => Aim::Point(x, y),
            Order::Follow(target) => {
                let (at, radius) = self.target(world, target, t)?;
                Aim::Follow { at, radius }
            }
            Order::Interact { target, .. } => {
                let (at, radius) = self.target(world, target, t)?;
                Aim::Act { at, radius }
            }
            Order::Attack(target) => {
                let (at, radius) = self.target(world, target, t)?;
                Aim::Strike { at, radius, range: self.weapon_range }
            }
        };
        match steer(aim, pos, &self.rules, self.follow_range) {
            Steering::Go(goal) => Some(goal),
            Steering::Arrived | Steering::OutOfRange => None,
        }
    }

    /// Where a target stood after tick `t − 1` and its radius: an object of a held chunk, else
    /// another entity (a character) extrapolated from its record. Never the own character.
    fn target(&self, world: &ClientWorld, target: EntityId, t: u64) -> Option<((i32, i32), i32)> {
        if target == EntityId::NONE || world.player() == Some(target) {
            return None;
        }
        if let Some(o) = world.chunks().object(target.0) {
            return Some(((o.x, o.y), o.radius));
        }
        let s = world.entity(target)?;
        Some((s.position_at(t.saturating_sub(1)), self.rules.radius))
    }
}

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
use crate::steering::{Aim, Goal, Steering, steer};
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
    pending: VecDeque<Pending>,
    applied: Option<Order>,
    base: Option<Base>,
    /// `path[i]`: predicted position at `base.tick + 1 + i`.
    path: Vec<(i32, i32)>,
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
        while let Some(p) = self.pending.front().filter(|p| p.input.seq <= frame.last_input_seq) {
            self.applied = Some(p.input.order);
            self.pending.pop_front();
        }
        let (order_kind, order_target) = (frame.own.order, frame.own.order_target);
        self.base =
            Some(Base { tick: frame.tick, pos: (frame.own.x, frame.own.y), order_kind, order_target });
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
            let pos = self.path.last().copied().unwrap_or(base.pos);
            let t = base.tick + 1 + self.path.len() as u64;
            let order = self.order_at(&base, t);
            let next = self.advance(world, order, pos, t);
            self.path.push(next);
        }
        self.path.get(ahead as usize - 1).copied()
    }

    /// The order the server carries out at tick `t` after the base frame: the newest unapplied
    /// input due by then, else the last applied order while the frame still reports it (same
    /// kind, same target).
    fn order_at(&self, base: &Base, t: u64) -> Option<Order> {
        let due = |p: &&Pending| p.apply_tick.max(base.tick + 1) <= t;
        if let Some(p) = self.pending.iter().rev().find(due) {
            return Some(p.input.order);
        }
        let applied = self.applied?;
        let (kind, target) = (applied.code(), applied.target());
        (base.order_kind != order_code::STOP && kind == base.order_kind && target == base.order_target)
            .then_some(applied)
    }

    /// One server tick of movement under `order` from `pos` (the position after tick `t − 1`).
    fn advance(&mut self, world: &ClientWorld, order: Option<Order>, pos: (i32, i32), t: u64) -> (i32, i32) {
        let Some(goal) = order.and_then(|o| self.goal(world, o, pos, t)) else { return pos };
        let terrain = world.chunks();
        let reach = self.rules.max_speed + self.rules.radius + terrain.max_object_radius();
        terrain.circles_near(pos.0, pos.1, reach, &mut self.circles);
        let out = step(&goal.step_input(&self.rules, pos), terrain, &self.circles);
        (out.x, out.y)
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
            Order::Interact { target, .. } | Order::Attack(target) => {
                let (at, radius) = self.target(world, target, t)?;
                Aim::Act { at, radius }
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

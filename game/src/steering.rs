//! Order → steering: the one rule by which an order, its target resolved to where it stands,
//! becomes a movement goal for the tick. The server's orders system and the client's predictor
//! both call [`steer`], so a predicted character steps exactly like the server's.

use crate::content::CharacterRules;
use crate::movement::{StepInput, dist};

/// Gap a follower keeps from its target, edge to edge (1/256 tile).
pub const FOLLOW_GAP: i32 = 16;

/// Where a character steers for its order and how close it stops: what the orders system writes
/// into steering each tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal {
    /// Goal x (1/256 tile).
    pub x: i32,
    /// Goal y.
    pub y: i32,
    /// Stop once this close to the goal, centre to centre.
    pub stop_dist: i32,
}

impl Goal {
    /// A move-to order: walk onto the point itself.
    pub fn move_to(x: i32, y: i32) -> Goal {
        Goal { x, y, stop_dist: 0 }
    }

    /// A follow order: walk toward the target until [`FOLLOW_GAP`] apart, edge to edge.
    pub fn follow((x, y): (i32, i32), radius: i32, target_radius: i32) -> Goal {
        Goal { x, y, stop_dist: radius + target_radius + FOLLOW_GAP }
    }

    /// An interact or attack order: walk toward the target until within `reach`
    /// (see [`action_reach`]).
    pub fn approach((x, y): (i32, i32), reach: i32) -> Goal {
        Goal { x, y, stop_dist: reach }
    }

    /// The movement request of a character with `rules` standing at `pos` and steering here.
    pub fn step_input(&self, rules: &CharacterRules, (x, y): (i32, i32)) -> StepInput {
        StepInput {
            x,
            y,
            radius: rules.radius,
            speed: rules.max_speed,
            goal_x: self.x,
            goal_y: self.y,
            stop_dist: self.stop_dist,
        }
    }
}

/// Centre-to-centre distance at which an interact or attack order acts on a target of
/// `target_radius`: both radii plus the content's interact range.
pub fn action_reach(rules: &CharacterRules, target_radius: i32) -> i32 {
    rules.radius + target_radius + rules.interact_range
}

/// Centre-to-centre distance at which an attack lands on a target of `target_radius` with a
/// weapon reaching `range` (edge to edge): both radii plus the range.
pub fn attack_reach(rules: &CharacterRules, target_radius: i32, range: i32) -> i32 {
    rules.radius + target_radius + range
}

/// Progress toward a goal, the one stuck rule of the server and the client's predictor: a
/// character is stuck while its steps bring it no nearer the goal than it has been. Moving alone
/// is not progress: one sliding to and fro in a crowd or along an obstacle is stuck, and an
/// order that stays stuck for `SimConfig::stuck_ticks` ends blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// The goal being tracked; a goal that moves (a walking target) starts tracking afresh.
    goal: (i32, i32),
    /// The nearest the character has come to `goal`, centre to centre; `None` before a step.
    best: Option<i64>,
    /// Steps in a row that came no nearer.
    stuck: u16,
}

impl Progress {
    /// Records a step toward `goal` that ended at `at`, within the stop distance if `arrived`.
    pub fn track(&mut self, goal: &Goal, at: (i32, i32), arrived: bool) {
        if self.goal != (goal.x, goal.y) {
            *self = Progress { goal: (goal.x, goal.y), ..Progress::default() };
        }
        let left = dist(i64::from(goal.x - at.0), i64::from(goal.y - at.1));
        let nearer = self.best.is_none_or(|b| left < b);
        if nearer {
            self.best = Some(left);
        }
        self.stuck = if nearer || arrived { 0 } else { self.stuck.saturating_add(1) };
    }

    /// Steps in a row that brought the character no nearer its goal.
    pub fn stuck(&self) -> u16 {
        self.stuck
    }
}

/// What an order aims at, its target (if any) resolved to where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// A point to walk onto (move-to).
    Point(i32, i32),
    /// A target to stay close to (follow): its centre and radius.
    Follow {
        /// Target centre.
        at: (i32, i32),
        /// Target radius.
        radius: i32,
    },
    /// A target to walk to and act on (interact): its centre and radius.
    Act {
        /// Target centre.
        at: (i32, i32),
        /// Target radius.
        radius: i32,
    },
    /// A target to walk to and hit (attack): its centre and radius, and the reach of the
    /// weapon in hand (edge to edge).
    Strike {
        /// Target centre.
        at: (i32, i32),
        /// Target radius.
        radius: i32,
        /// The weapon's range.
        range: i32,
    },
}

/// What an order means for the character this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steering {
    /// Steer toward the goal.
    Go(Goal),
    /// Nothing left to walk: a move-to stands on its point, an action's target is in reach.
    Arrived,
    /// A followed target stands beyond the follow range.
    OutOfRange,
}

/// The steering of a character with `rules` standing at `pos` for an order aiming at `aim`, with
/// the server's `follow_range` (`SimConfig::follow_range`).
pub fn steer(aim: Aim, pos: (i32, i32), rules: &CharacterRules, follow_range: i32) -> Steering {
    let away = |(x, y): (i32, i32)| dist(i64::from(x - pos.0), i64::from(y - pos.1));
    match aim {
        Aim::Point(x, y) if pos == (x, y) => Steering::Arrived,
        Aim::Point(x, y) => Steering::Go(Goal::move_to(x, y)),
        Aim::Follow { at, .. } if away(at) > i64::from(follow_range) => Steering::OutOfRange,
        Aim::Follow { at, radius } => Steering::Go(Goal::follow(at, rules.radius, radius)),
        Aim::Act { at, radius } => approach(at, away(at), action_reach(rules, radius)),
        Aim::Strike { at, radius, range } => approach(at, away(at), attack_reach(rules, radius, range)),
    }
}

/// Arrived within `reach` of `at` (`away` from it), else steer toward it.
fn approach(at: (i32, i32), away: i64, reach: i32) -> Steering {
    if away <= i64::from(reach) { Steering::Arrived } else { Steering::Go(Goal::approach(at, reach)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Content;

    #[test]
    fn orders_steer_arrive_and_lose_their_target() {
        let rules = Content::builtin().character;
        let pos = (1000, 1000);
        assert_eq!(steer(Aim::Point(1000, 1000), pos, &rules, 500), Steering::Arrived);
        assert_eq!(steer(Aim::Point(0, 9), pos, &rules, 500), Steering::Go(Goal::move_to(0, 9)));
        let follow = Aim::Follow { at: (1400, 1000), radius: 10 };
        assert_eq!(
            steer(follow, pos, &rules, 400),
            Steering::Go(Goal::follow((1400, 1000), rules.radius, 10))
        );
        assert_eq!(steer(follow, pos, &rules, 399), Steering::OutOfRange);
        let reach = action_reach(&rules, 10);
        let near = Aim::Act { at: (1000 + reach, 1000), radius: 10 };
        assert_eq!(steer(near, pos, &rules, 0), Steering::Arrived);
        let far = Aim::Act { at: (1001 + reach, 1000), radius: 10 };
        assert_eq!(steer(far, pos, &rules, 0), Steering::Go(Goal::approach((1001 + reach, 1000), reach)));
        // An attack reaches as far as the weapon: a longer one stops farther out.
        let strike =
            |range| Aim::Strike { at: (1000 + attack_reach(&rules, 10, 50), 1000), radius: 10, range };
        assert_eq!(steer(strike(50), pos, &rules, 0), Steering::Arrived);
        let short = attack_reach(&rules, 10, 49);
        let goal = Goal::approach((1000 + attack_reach(&rules, 10, 50), 1000), short);
        assert_eq!(steer(strike(49), pos, &rules, 0), Steering::Go(goal));
    }

    #[test]
    fn moving_without_coming_nearer_is_no_progress() {
        let goal = Goal::move_to(1000, 0);
        let mut p = Progress::default();
        p.track(&goal, (0, 0), false);
        assert_eq!(p.stuck(), 0, "a first step is progress");
        // To and fro across the way, never nearer than 1000.
        for (k, y) in [300, -300, 300, -300].into_iter().enumerate() {
            p.track(&goal, (0, y), false);
            assert_eq!(usize::from(p.stuck()), k + 1);
        }
        p.track(&goal, (1, 0), false);
        assert_eq!(p.stuck(), 0, "one unit nearer than ever is progress");
        p.track(&goal, (0, 0), false);
        p.track(&goal, (0, 0), true);
        assert_eq!(p.stuck(), 0, "arrived is never stuck");
        p.track(&goal, (0, 0), false);
        assert_eq!(p.stuck(), 1);
        p.track(&Goal::move_to(1000, 5), (0, 0), false);
        assert_eq!(p.stuck(), 0, "a goal that moved starts afresh");
    }
}

//! An interact order watched through the frame head, for the bots' actions that run as one
//! (a pickup or a box opened or picked up in gameplay mode; gathering, chopping and harvesting
//! in survival mode): seen under way, then over for a while without its effect; and, for the
//! report, what happened, described.

use super::item_plan::still_there;
use game::client::{CachedObject, GameClient};
use game::geom::TILE;
use net::protocol::order_code;
use std::time::{Duration, Instant};

/// An interact order over this long without its change had no effect; a target gone from view
/// this long without its items arriving was taken by another.
pub const LOST_GRACE: Duration = Duration::from_secs(2);

/// The character's interact order an action runs as, as the frame head shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderWatch {
    /// The order's target.
    pub target: u64,
    /// Where the target lay when the request was sent.
    pub at: (i32, i32),
    /// Where the character stood then.
    from: (i32, i32),
    /// The order was seen under way.
    started: bool,
    /// Since when it is no longer under way (after it was seen).
    ended_since: Option<Instant>,
}

impl OrderWatch {
    /// An order on `target`, given now.
    pub fn new(target: &CachedObject, game: &GameClient) -> Self {
        let from = game.position().unwrap_or_default();
        OrderWatch {
            target: target.entity,
            at: (target.x, target.y),
            from,
            started: false,
            ended_since: None,
        }
    }

    /// What happened to action `name`, sent at `sent`, for a person to read: distances,
    /// whether the target is still in view, and the order the frame head shows now.
    pub fn describe(
        &self,
        name: &str,
        outcome: &str,
        sent: Instant,
        game: &GameClient,
        now: Instant,
    ) -> String {
        let tiles = |a: (i32, i32), b: (i32, i32)| {
            let (dx, dy) = (f64::from(a.0 - b.0), f64::from(a.1 - b.1));
            (dx * dx + dy * dy).sqrt() / f64::from(TILE)
        };
        let pos = game.position().unwrap_or_default();
        let view = if still_there(game, self.target, self.at) { "still in view" } else { "gone from view" };
        let (order, target) = game.world().own().map_or((0, 0), |o| (o.state.order, o.state.order_target.0));
        format!(
            "{name} {outcome} after {:.1} s: target {:#x} {:.1} tiles away when sent, {:.1} now, {view}; \
             frame head order {order} target {target:#x}; seen under way: {}",
            now.saturating_duration_since(sent).as_secs_f64(),
            self.target,
            tiles(self.from, self.at),
            tiles(pos, self.at),
            self.started,
        )
    }

    /// True once the order, seen under way, has been over for [`LOST_GRACE`].
    pub fn ended(&mut self, game: &GameClient, now: Instant) -> bool {
        let Some(own) = game.world().own() else { return false };
        let under_way = own.state.order == order_code::INTERACT && own.state.order_target.0 == self.target;
        if under_way {
            (self.started, self.ended_since) = (true, None);
            return false;
        }
        if !self.started {
            return false;
        }
        let since = *self.ended_since.get_or_insert(now);
        now.saturating_duration_since(since) >= LOST_GRACE
    }
}

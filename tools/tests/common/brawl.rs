//! Players who craft and fight over the wire, for the kill tests: a crafter makes clubs one
//! after another (a Craft, then the next once CraftProgress or an Error says how the last one
//! ended), keeping count of the crafts the server said were done and of the one still in flight;
//! a fighter keeps ordering attacks on its targets. Refusals (dead, out of branches, storage
//! busy) are expected and end a craft without a result.

use super::Player;
use net::protocol::{ClientMessage, CraftProgress, EntityId, Order, craft_state};
use std::time::{Duration, Instant};

/// How often a fighter renews its attack order (a target that died ended the last one).
const RENEW: Duration = Duration::from_millis(700);
/// The pause after a craft that ended without a result (a dead crafter is refused at once, and
/// must not flood the server).
const PAUSE: Duration = Duration::from_millis(300);

/// A player who crafts `recipe` over and over.
pub struct Crafter {
    pub player: Player,
    recipe: u16,
    /// The request id of the Craft whose end is not known yet.
    pub in_flight: Option<u32>,
    /// The `DONE` CraftProgress of every craft the server completed.
    pub done: Vec<CraftProgress>,
    /// Crafts that ended without a result (cancelled, failed, refused).
    pub ended: u32,
    next_craft: Instant,
}

impl Crafter {
    pub fn new(player: Player, recipe: u16) -> Crafter {
        Crafter { player, recipe, in_flight: None, done: Vec::new(), ended: 0, next_craft: Instant::now() }
    }

    /// Notes how the craft in flight ended, if the server said so, and sends the next one.
    pub fn act(&mut self) {
        if let Some(request) = self.in_flight {
            let progress = self.player.game.world().craft_progress().copied();
            let refused = self.player.errors.iter().any(|e| e.1 == request);
            match progress.filter(|g| g.request == request && g.state != craft_state::STARTED) {
                Some(g) if g.state == craft_state::DONE => self.done.push(g),
                Some(_) => self.ended += 1,
                None if refused => self.ended += 1,
                None => return,
            }
            self.in_flight = None;
            if self.done.last().is_none_or(|g| g.request != request) {
                self.next_craft = Instant::now() + PAUSE;
            }
        }
        if Instant::now() < self.next_craft {
            return;
        }
        let craft = self.player.game.craft_request(self.recipe, 1, EntityId::NONE);
        if self.player.client.send(&ClientMessage::Craft(craft)).is_ok() {
            self.in_flight = Some(craft.request);
        }
    }
}

/// A player who keeps attacking its targets, the first one alive (as far as it can tell) first.
pub struct Fighter {
    pub player: Player,
    targets: Vec<EntityId>,
    next_order: Instant,
    pub orders: u32,
}

impl Fighter {
    pub fn new(player: Player, targets: Vec<EntityId>) -> Fighter {
        Fighter { player, targets, next_order: Instant::now(), orders: 0 }
    }

    /// Renews the attack order every [`RENEW`], on the first target not seen dead.
    pub fn act(&mut self) {
        if Instant::now() < self.next_order {
            return;
        }
        self.next_order = Instant::now() + RENEW;
        let world = self.player.game.world();
        let alive = |id: &&EntityId| world.entity(**id).is_none_or(|e| e.state.hp > 0);
        if let Some(&target) = self.targets.iter().find(alive).or(self.targets.first()) {
            self.player.order(Order::Attack(target));
            self.orders += 1;
        }
    }
}

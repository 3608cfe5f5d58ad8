//! Travel between layers: a character that used a way (a cave entrance or its way out,
//! `gameplay::ways`) is handed off to the map the way leads to, at the way's place, like any
//! hand-off (`handoff.rs`): saved and released with a one-time token in one transaction, then
//! a Redirect. When this shard simulates that map too, the Redirect points back here and the
//! client's new session spawns the character there; the client library and the play page
//! follow it like any other. A way whose map no live shard simulates is refused with
//! [`WAY_CLOSED`] (the Input's seq as its request), and the character stays.

use super::Shard;
use crate::gameplay::ways::Travel;
use crate::wire::error::WAY_CLOSED;

impl Shard {
    /// The travels every map decided this tick: each starts its hand-off.
    pub(crate) fn step_travels(&mut self) {
        for i in 0..self.maps.list.len() {
            for travel in self.maps.list[i].sim.take_travels() {
                self.travel(i, travel);
            }
        }
    }

    fn travel(&mut self, map: usize, t: Travel) {
        let Some(conn) = self.players.conn_of(t.player) else { return };
        let started =
            self.handoff_target(t.to).and_then(|target| self.hand_off(conn, t.to, Some(t.at), &target));
        if let Err(why) = started {
            let request = self.maps.list[map].view.last_input(conn).unwrap_or(0);
            tracing::debug!(%conn, to = t.to, why, "a way refused");
            self.error(conn, WAY_CLOSED, request, &format!("the way to map {} is closed: {why}", t.to));
        }
    }
}

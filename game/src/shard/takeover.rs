//! The tick's side of the map leases (`lease/`): a map gained (a standby taking over) starts as
//! at boot; a map lost stops at once, and a client whose map is simulated elsewhere is sent a
//! Redirect to the owner (or closed with a clear code when there is none).
//!
//! What a lost map writes: nothing more. Its players get no logout save, no further position or
//! checkpoint, its dirty chunks are not saved and its simulation is dropped. What was already
//! handed to the store's writer before the loss (item transactions, a checkpoint's chunk saves,
//! the positions of the last quarter second, which the writer coalesces into its next batch) may
//! still commit: rejecting those is the database's fencing.

use super::Shard;
use super::lease::LeaseEvent;
use super::login::close;
use net::ConnId;
use net::protocol::{Redirect, ServerMessage, SessionToken};
use std::sync::atomic::Ordering;
use store::{Fence, MapId};

impl Shard {
    /// Applies the maps gained and lost since the last tick.
    pub(crate) fn apply_lease_events(&mut self) {
        let Some(link) = &self.meta else { return };
        let events: Vec<LeaseEvent> = link.leases.try_iter().collect();
        for event in events {
            match event {
                LeaseEvent::Gained(map, fence) => self.start_map(map, fence),
                LeaseEvent::Lost { map, owner } => self.lose_map(map, owner),
            }
        }
    }

    /// Starts simulating a map this shard just claimed, its writes fenced by `fence`.
    fn start_map(&mut self, map: MapId, fence: Fence) {
        if self.maps.index_of(map).is_some() {
            return;
        }
        match self.maps.start(map, fence) {
            Ok(index) => {
                self.set_respawn_points(index);
                tracing::info!(map, "took the map over: simulating it");
            }
            Err(e) => {
                tracing::error!(map, error = %e, "cannot start a claimed map: releasing it");
                if let Some(link) = &self.meta {
                    link.give_up(map);
                }
            }
        }
    }

    /// The dead come back in the start area on its map (where new characters begin); on the
    /// others, where they fell.
    pub(crate) fn set_respawn_points(&mut self, index: usize) {
        let m = &mut self.maps.list[index];
        if m.sim.geometry().id == self.lobby.start_map() {
            let deaths = m.sim.deaths;
            m.sim.world.resource_mut(deaths).set_points(self.lobby.start_land());
        }
    }

    /// Stops simulating a map at once: its players leave without a save and are redirected to
    /// `owner` or closed with [`close::MAP_LOST`], then the map is dropped unsaved.
    fn lose_map(&mut self, map: MapId, owner: Option<String>) {
        let Some(index) = self.maps.index_of(map) else { return };
        let owner = owner.or_else(|| self.meta.as_ref()?.directory.owner(map).map(|o| o.addr));
        let conns = self.players.on_map(index);
        tracing::error!(map, players = conns.len(), ?owner, "lost the map's lease: stopped simulating it");
        let mut leaving = Vec::with_capacity(conns.len());
        for conn in conns {
            let Some(player) = self.players.remove(conn) else { continue };
            if let Some(meta) = &self.meta {
                meta.offline(player.record.id);
            }
            leaving.push((conn, player.token));
        }
        // Players still searching a spawn spot there go too (a search writes a position), and
        // logins waiting for their claim.
        leaving.extend(self.lobby.leave_map(map));
        leaving.extend(self.claims.leave_map(map));
        for (conn, token) in leaving {
            match &owner {
                Some(addr) => self.redirect(conn, addr, token),
                None => {
                    let reason = format!("this shard lost map {map}; log in again");
                    self.outbox.close(conn, close::MAP_LOST, &reason);
                }
            }
        }
        self.maps.stop(index);
        self.players.map_removed(index);
        self.meter.map_stopped(index);
    }

    /// A verified login whose character is on a map not simulated here: a Redirect to the map's
    /// owner with the client's own token, or a close with [`close::MAP_UNAVAILABLE`].
    pub(crate) fn send_elsewhere(&mut self, conn: ConnId, map: MapId, token: [u8; 32]) {
        let owner = self.meta.as_ref().and_then(|m| m.directory.owner(map));
        match owner {
            Some(owner) => {
                tracing::info!(%conn, map, owner = %owner.shard, "character's map is elsewhere: redirecting");
                self.redirect(conn, &owner.addr, token);
            }
            None => {
                let reason = format!("map {map} has no live shard now; try again later");
                self.outbox.close(conn, close::MAP_UNAVAILABLE, &reason);
            }
        }
    }

    /// Sends a Redirect, then closes with [`close::REDIRECTED`] (the Redirect leaves first). A
    /// client that came by hand-off (its session token unknown here: zeros) is closed with
    /// [`close::MAP_LOST`] instead, to log in again with its own token.
    fn redirect(&mut self, conn: ConnId, addr: &str, token: [u8; 32]) {
        if token == [0; 32] {
            let reason = "the character's map is simulated by another shard now; log in again";
            self.outbox.close(conn, close::MAP_LOST, reason);
            return;
        }
        let msg = ServerMessage::Redirect(Redirect { address: addr.to_owned(), token: SessionToken(token) });
        self.outbox.reply(conn, &msg);
        self.send();
        self.outbox.close(conn, close::REDIRECTED, "play on the shard the Redirect names");
        if let Some(link) = &self.meta {
            link.counters.redirects.fetch_add(1, Ordering::Relaxed);
        }
    }
}

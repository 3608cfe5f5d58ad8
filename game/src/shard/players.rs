//! Players online on this shard: who is behind which connection and character, and the
//! validation of their wire orders (translated by [`crate::wire`]). The server only ever takes
//! intentions (orders) from a client, never positions: where a character is comes from the
//! simulation alone, so no client can put itself where it could not have walked.

use crate::geom::CHUNK_UNITS;
use crate::orders::Order;
use crate::sim::MapSim;
use crate::wire::order_from_wire;
use engine::Entity;
use net::ConnId;
use net::ConnTraffic;
use net::protocol::{EntityId, Order as WireOrder};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use store::PlayerRecord;

pub use crate::wire::error;

/// Farthest move-to target from the character: three chunks, beyond anything the client sees.
pub const MAX_ORDER_DISTANCE: i64 = 3 * CHUNK_UNITS as i64;

/// One player in the game.
#[derive(Debug)]
pub(crate) struct Online {
    /// The connection.
    pub conn: ConnId,
    /// The stored record (position refreshed on save).
    pub record: PlayerRecord,
    /// Index of the player's map in the shard's map list.
    pub map: usize,
    /// The player's character.
    pub entity: Entity,
    /// The vitals last sent (a Stats message goes out when they differ).
    pub sent_stats: Option<net::protocol::Stats>,
    /// The session token it logged in with (sent along a Redirect); zeros after a hand-off.
    pub token: [u8; 32],
    /// The character's claim here and the sequence of its last save.
    pub seq: store::SaveSeq,
}

/// The online players, by connection and by player id.
#[derive(Debug, Default)]
pub(crate) struct Players {
    list: Vec<Online>,
    by_conn: HashMap<ConnId, usize>,
    by_id: HashMap<i64, usize>,
}

impl Players {
    /// Adds a player who finished logging in.
    pub(crate) fn insert(&mut self, player: Online) {
        let i = self.list.len();
        self.by_conn.insert(player.conn, i);
        self.by_id.insert(player.record.id, i);
        self.list.push(player);
    }

    /// Removes the player behind `conn`.
    pub(crate) fn remove(&mut self, conn: ConnId) -> Option<Online> {
        let i = self.by_conn.remove(&conn)?;
        let gone = self.list.swap_remove(i);
        self.by_id.remove(&gone.record.id);
        if let Some(moved) = self.list.get(i) {
            self.by_conn.insert(moved.conn, i);
            self.by_id.insert(moved.record.id, i);
        }
        Some(gone)
    }

    /// The player behind `conn`.
    pub(crate) fn get_mut(&mut self, conn: ConnId) -> Option<&mut Online> {
        self.by_conn.get(&conn).map(|&i| &mut self.list[i])
    }

    /// The connection of an online player id.
    pub(crate) fn conn_of(&self, player: i64) -> Option<ConnId> {
        self.by_id.get(&player).map(|&i| self.list[i].conn)
    }

    /// Every online player.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Online> {
        self.list.iter_mut()
    }

    /// Every player online.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Online> {
        self.list.iter()
    }

    /// Number of players online.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The connections of the players on map `index`.
    pub(crate) fn on_map(&self, index: usize) -> Vec<ConnId> {
        self.list.iter().filter(|p| p.map == index).map(|p| p.conn).collect()
    }

    /// Map `index` was removed (no player is on it any more): the maps after it moved down one.
    pub(crate) fn map_removed(&mut self, index: usize) {
        for p in self.list.iter_mut().filter(|p| p.map > index) {
            p.map -= 1;
        }
    }
}

/// A connection that sent Hello: where from, since when, and its byte counts.
#[derive(Debug)]
struct Link {
    peer: SocketAddr,
    since: Instant,
    traffic: Arc<ConnTraffic>,
    /// The totals `(in, out)` at the last rate reading, and when.
    last: (Instant, u64, u64),
    /// Bytes per second `(down, up)` over the last reading's interval.
    rates: (f64, f64),
}

/// What the live map shows of a connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkView {
    /// Remote address.
    pub peer: String,
    /// Seconds since Hello.
    pub connected_s: u64,
    /// Bytes per second written to the client.
    pub down_bps: f64,
    /// Bytes per second read from the client.
    pub up_bps: f64,
}

/// The connections that sent Hello (logged in or not yet), from `Connected` to `Disconnected`.
#[derive(Debug, Default)]
pub(crate) struct Links(HashMap<ConnId, Link>);

impl Links {
    /// A connection sent Hello.
    pub(crate) fn connected(&mut self, conn: ConnId, peer: SocketAddr, traffic: Arc<ConnTraffic>) {
        let now = Instant::now();
        let (bytes_in, bytes_out) = traffic.totals();
        let link = Link { peer, since: now, traffic, last: (now, bytes_in, bytes_out), rates: (0.0, 0.0) };
        self.0.insert(conn, link);
    }

    /// The connection is gone.
    pub(crate) fn gone(&mut self, conn: ConnId) {
        self.0.remove(&conn);
    }

    /// The connection's view; its byte rates are measured again when half a second or more
    /// passed since the last reading.
    pub(crate) fn rate(&mut self, conn: ConnId, now: Instant) -> LinkView {
        let Some(link) = self.0.get_mut(&conn) else { return LinkView::default() };
        let dt = now.saturating_duration_since(link.last.0).as_secs_f64();
        if dt >= 0.5 {
            let (bytes_in, bytes_out) = link.traffic.totals();
            let rate = |now: u64, then: u64| now.saturating_sub(then) as f64 / dt;
            link.rates = (rate(bytes_out, link.last.2), rate(bytes_in, link.last.1));
            link.last = (now, bytes_in, bytes_out);
        }
        LinkView {
            peer: link.peer.to_string(),
            connected_s: now.saturating_duration_since(link.since).as_secs(),
            down_bps: link.rates.0,
            up_bps: link.rates.1,
        }
    }
}

/// Why an order was refused: an error code and a text for the client.
pub(crate) type Refusal = (u16, &'static str);

/// Validates a wire order for `me` on `sim`: its target must exist here and not be `me`, a
/// move-to target must be walkable and near enough.
pub(crate) fn game_order(order: WireOrder, sim: &MapSim, me: Entity) -> Result<Order, Refusal> {
    let target = |id: EntityId| {
        let e = Entity::from_bits(id.0);
        match sim.position(e) {
            Some(_) if e != me => Ok(e),
            _ => Err((error::NO_SUCH_TARGET, "no such target here")),
        }
    };
    match order_from_wire(order, target)? {
        Order::MoveTo { x, y } => move_to(sim, me, x, y),
        order => Ok(order),
    }
}

fn move_to(sim: &MapSim, me: Entity, x: i32, y: i32) -> Result<Order, Refusal> {
    if !sim.geometry().in_walkable(x, y) {
        return Err((error::INVALID_ORDER, "move target is outside the walkable map"));
    }
    let (mx, my) = sim.position(me).ok_or((error::INVALID_ORDER, "no character"))?;
    let (dx, dy) = (i64::from(x - mx), i64::from(y - my));
    if dx * dx + dy * dy > MAX_ORDER_DISTANCE * MAX_ORDER_DISTANCE {
        return Err((error::INVALID_ORDER, "move target is too far away"));
    }
    Ok(Order::MoveTo { x, y })
}

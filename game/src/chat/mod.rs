//! Local chat (protocol §3 `Chat`, §4 `ChatHeard`): a player says a line and every player whose
//! character is on the same map within the content's `chat.radius` tiles of the speaker's hears
//! it, the speaker too, as confirmation (its copy carries the request id).
//!
//! A line is judged in order: the speaker's rate ([`rate`], a token bucket of `chat.per_10s`
//! lines per 10 s; refused: 141), then its text ([`sanitize`]: control characters refused
//! 143, bidirectional controls refused 144, invisible characters stripped, whitespace trimmed;
//! nothing left: 142; more than `chat.max_chars` characters: 140). A refusal is an Error
//! carrying the request id; nobody hears the line. Every line not refused as too fast spends
//! one line of the bucket, said or refused.
//!
//! Delivery ([`hear`]) walks the map's character grid around the speaker, never every player;
//! each line is encoded twice (the speaker's copy and everyone else's, one shared buffer) and
//! handed to the outbox like any reliable message, so it counts against each client's
//! downstream. Bots neither speak nor hear. Lines are never stored, and never logged verbatim.

mod error;
mod hear;
mod rate;
mod sanitize;

pub use error::ChatError;
pub use hear::Listener;
pub use rate::{ChatRate, RateBucket};
pub use sanitize::sanitize;

use crate::error::GameError;
use crate::geom::TILE;
use crate::sim::MapSim;
use engine::{ColumnKey, Entity};
use hear::Ears;
use net::protocol::{Chat, ChatHeard, EntityId, ServerMessage};
use net::{ConnId, Outbound};

/// Who says a line.
#[derive(Debug, Clone, Copy)]
pub struct Speaker<'a> {
    /// The speaker's character.
    pub character: Entity,
    /// The player's name, shown with the line.
    pub name: &'a str,
}

/// One map's chat: the listeners' column and the content's rules.
#[derive(Debug, Clone, Copy)]
pub struct MapChat {
    listeners: ColumnKey<Listener>,
    /// Who hears: within this distance of the speaker (1/256 tile).
    radius: i32,
    /// How far a character moves in a tick (the grid is that much older than the columns).
    margin: i32,
    max_chars: u16,
    rate: ChatRate,
}

impl MapChat {
    /// Adds the listeners' column to `sim`'s world, with the rules of `sim`'s content; buckets
    /// count ticks at `tick_hz`.
    pub fn install(sim: &mut MapSim, tick_hz: u32) -> Result<MapChat, GameError> {
        let rules = sim.content.chat;
        let listeners = sim.world.register::<Listener>("chat-listener")?;
        Ok(MapChat {
            listeners,
            radius: rules.radius.saturating_mul(TILE),
            margin: sim.content.character.max_speed,
            max_chars: rules.max_chars,
            rate: ChatRate::new(rules.per_10s, tick_hz),
        })
    }

    /// Makes `character`'s player, on `conn`, a listener with a full bucket at `tick`. False
    /// when `character` is not alive.
    pub fn listen(&self, sim: &mut MapSim, character: Entity, conn: ConnId, tick: u64) -> bool {
        let listener = Listener { conn, bucket: RateBucket::full(&self.rate, tick) };
        sim.world.insert(character, self.listeners, listener).is_ok()
    }

    /// Says `line` at `tick`: judges it, then hands a `ChatHeard` for every hearer to
    /// `deliver`, the speaker's first. Returns how many heard it (the speaker included); a
    /// speaker who is not a listener is heard by nobody (0).
    pub fn say(
        &self,
        sim: &MapSim,
        speaker: Speaker<'_>,
        line: &Chat,
        tick: u64,
        mut deliver: impl FnMut(ConnId, Outbound),
    ) -> Result<usize, ChatError> {
        let Some(conn) = self.take_turn(sim, speaker.character, tick)? else { return Ok(0) };
        let text = sanitize(&line.text, self.max_chars)?;
        let heard = ChatHeard {
            speaker: EntityId(speaker.character.to_bits()),
            tick,
            request: line.request,
            name: speaker.name.to_owned(),
            text,
        };
        let others =
            Outbound::reliable(ServerMessage::ChatHeard(ChatHeard { request: 0, ..heard.clone() }).encode());
        deliver(conn, Outbound::reliable(ServerMessage::ChatHeard(heard).encode()));
        let Some(centre) = sim.position(speaker.character) else { return Ok(1) };
        let (x, y) = (sim.world.column(sim.keys.x), sim.world.column(sim.keys.y));
        let (grid, listeners) = (sim.world.resource(sim.keys.movers), sim.world.column(self.listeners));
        let ears = Ears { grid: &grid, x: &x, y: &y, listeners: &listeners };
        let near = ears.for_each_hearer(speaker.character, centre, (self.radius, self.margin), |c| {
            deliver(c, others.clone())
        });
        Ok(1 + near)
    }

    /// Spends one line of the speaker's bucket; `None` when the speaker is not a listener.
    fn take_turn(&self, sim: &MapSim, speaker: Entity, tick: u64) -> Result<Option<ConnId>, ChatError> {
        let mut listeners = sim.world.column_mut(self.listeners);
        let Some(me) = listeners.get_mut(speaker) else { return Ok(None) };
        if !me.bucket.try_take(&self.rate, tick) {
            return Err(ChatError::TooFast);
        }
        Ok(Some(me.conn))
    }
}

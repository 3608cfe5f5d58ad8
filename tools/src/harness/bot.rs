//! One bot: its connection phase, its name and session token, game state (world + predictor), the orders
//! it gives (none while the newest Frame shows its character dead), its item behaviour in gameplay
//! mode or its survival loop, and what it measures (bytes received, inputs awaiting their ack).

use super::handoff::Chase;
use super::item_play::ItemPlay;
use super::rng::Rng;
use super::survival_plan::shown_alive;
use super::survival_play::SurvivalPlay;
use game::client::GameClient;
use game::geom::TILE;
use net::client::ClientId;
use net::protocol::{
    ENTER_RECORD_LEN, EntityId, FRAME_HEAD_LEN, Input, Order, ServerMessage, SessionToken, UPDATE_RECORD_LEN,
};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Shortest gap between two acks (acks stay at or under 20/s, well inside the rate limit).
pub const ACK_INTERVAL: Duration = Duration::from_millis(50);
/// Most inputs remembered while waiting for their ack.
const MAX_IN_FLIGHT: usize = 64;
/// Move-to goals keep this far inside the walkable bounds.
const EDGE_MARGIN: i32 = 2 * TILE;
/// Bots follow only entities this close (well inside the server's follow range).
pub const FOLLOW_PICK_RANGE: i32 = 16 * TILE;

/// Where a bot's connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not started yet.
    Idle,
    /// TCP connect or WebSocket upgrade in progress.
    Connecting,
    /// Upgraded; Hello sent, Welcome awaited.
    Open,
    /// Welcome received: playing.
    Playing,
    /// Connection ended.
    Closed,
}

/// One bot.
#[derive(Debug)]
pub struct Bot {
    /// Its driver connection.
    pub id: Option<ClientId>,
    /// Connection phase.
    pub phase: Phase,
    /// True once we asked to close (its Closed event is not an error).
    pub closing: bool,
    /// Its character's name.
    pub name: String,
    /// The secret this bot chose for its name: sent in every Hello (first login and any
    /// reconnect), expected back in Welcome.
    pub token: SessionToken,
    /// World and prediction.
    pub game: GameClient,
    /// Decisions.
    pub rng: Rng,
    /// When to give the next order.
    pub next_order: Instant,
    /// Inputs sent and not yet acknowledged by a frame: `(seq, sent at)`.
    pub in_flight: VecDeque<(u32, Instant)>,
    /// The seq of the latest Follow order sent: an Error 101 about it means the followed
    /// character left (logged out, handed off, out of this map) before the order arrived.
    pub follow_seq: Option<u32>,
    /// When the last Ack was sent.
    pub last_ack: Option<Instant>,
    /// A frame arrived since the last Ack.
    pub ack_due: bool,
    /// Estimated bytes received.
    pub bytes: u64,
    /// When the first connection's upgrade completed (a hand-off's reconnection keeps it).
    pub connected_at: Option<Instant>,
    /// When the connection ended.
    pub ended_at: Option<Instant>,
    /// A Redirect received: where to log in again and with which token, once the server closes.
    pub redirect: Option<(SocketAddr, SessionToken)>,
    /// When the Redirect being followed arrived (its latency ends at the next Welcome).
    pub redirected_at: Option<Instant>,
    /// The shard the current connection goes to.
    pub server: Option<SocketAddr>,
    /// The Redirects followed since the last Welcome, and the hand-off in progress.
    pub chase: Chase,
    /// A Welcome arrived at least once (the bot counts as connected once).
    pub welcomed: bool,
    /// Item behaviour (gameplay mode only).
    pub play: Option<ItemPlay>,
    /// The survival loop (survival mode only).
    pub survival: Option<SurvivalPlay>,
}

impl Bot {
    /// A bot not yet connected, logging in as `name` with `token`.
    pub fn new(
        index: usize,
        name: String,
        token: SessionToken,
        game: GameClient,
        seed: u64,
        now: Instant,
    ) -> Self {
        Bot {
            id: None,
            phase: Phase::Idle,
            closing: false,
            redirect: None,
            redirected_at: None,
            server: None,
            chase: Chase::default(),
            welcomed: false,
            name,
            token,
            game,
            rng: Rng::new(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407)),
            next_order: now,
            in_flight: VecDeque::new(),
            follow_seq: None,
            last_ack: None,
            ack_due: false,
            bytes: 0,
            connected_at: None,
            ended_at: None,
            play: None,
            survival: None,
        }
    }

    /// Not started, or started and not yet welcomed nor ended.
    pub fn is_waiting(&self) -> bool {
        matches!(self.phase, Phase::Idle | Phase::Connecting | Phase::Open)
    }

    /// Time connected, up to `now` if still connected.
    pub fn connected_for(&self, now: Instant) -> Duration {
        let Some(start) = self.connected_at else { return Duration::ZERO };
        self.ended_at.unwrap_or(now).saturating_duration_since(start)
    }

    /// Remembers an Input sent at `now` for latency.
    pub fn sent_input(&mut self, seq: u32, now: Instant) {
        if self.in_flight.len() == MAX_IN_FLIGHT {
            self.in_flight.pop_front();
        }
        self.in_flight.push_back((seq, now));
    }

    /// Inputs acknowledged by a frame with `last_input_seq`: their send times, oldest first.
    pub fn acked_inputs(&mut self, last_input_seq: u32) -> impl Iterator<Item = Instant> + '_ {
        let n = self.in_flight.iter().take_while(|&&(seq, _)| seq <= last_input_seq).count();
        self.in_flight.drain(..n).map(|(_, at)| at)
    }

    /// True when an Ack should go out now.
    pub fn ack_ready(&self, now: Instant) -> bool {
        self.ack_due && self.last_ack.is_none_or(|t| now.saturating_duration_since(t) >= ACK_INTERVAL)
    }

    /// False while the newest Frame shows the character dead (see [`shown_alive`]), or while
    /// its item or survival action needs the character to stay where it is.
    pub fn may_walk(&self) -> bool {
        shown_alive(&self.game)
            && self.play.as_ref().is_none_or(ItemPlay::may_walk)
            && self.survival.as_ref().is_none_or(SurvivalPlay::may_walk)
    }

    /// Picks the next order: mostly a move-to 4–16 tiles away inside the walkable bounds,
    /// sometimes following a visible entity, sometimes stopping. `None` before the first frame.
    pub fn choose_order(&mut self) -> Option<Order> {
        let own = self.game.world().own()?.state;
        let (x0, y0, x1, y1) = self.game.world().map()?.walkable();
        let roll = self.rng.range(0, 99);
        if roll < 10 {
            return Some(Order::Stop);
        }
        if roll < 25
            && let Some(target) = self.pick_entity()
        {
            return Some(Order::Follow(target));
        }
        let (x, y) = (own.x, own.y);
        let (dx, dy) = self.offset();
        let clamp =
            |v: i32, lo: i32, hi: i32| v.clamp(lo + EDGE_MARGIN, (hi - EDGE_MARGIN).max(lo + EDGE_MARGIN));
        Some(Order::MoveTo { x: clamp(x.saturating_add(dx), x0, x1), y: clamp(y.saturating_add(dy), y0, y1) })
    }

    /// A random offset 4–16 tiles long (rejection sampling in the square).
    fn offset(&mut self) -> (i32, i32) {
        let (lo, hi) = (i64::from(4 * TILE), i64::from(16 * TILE));
        loop {
            let (dx, dy) = (self.rng.range(-hi, hi), self.rng.range(-hi, hi));
            let d2 = dx * dx + dy * dy;
            if (lo * lo..=hi * hi).contains(&d2) {
                return (dx as i32, dy as i32);
            }
        }
    }

    /// A random entity among those within [`FOLLOW_PICK_RANGE`] of the bot (not itself).
    fn pick_entity(&mut self) -> Option<EntityId> {
        let world = self.game.world();
        let (own, player) = (world.own()?, world.player());
        let near = |s: &game::client::HeldEntity| {
            let (dx, dy) = (i64::from(s.state.x - own.state.x), i64::from(s.state.y - own.state.y));
            dx * dx + dy * dy <= i64::from(FOLLOW_PICK_RANGE).pow(2)
        };
        let n = world.entities().filter(|&(id, s)| Some(id) != player && near(s)).count();
        if n == 0 {
            return None;
        }
        let i = self.rng.range(0, n as i64 - 1) as usize;
        world.entities().filter(|&(id, s)| Some(id) != player && near(s)).nth(i).map(|(id, _)| id)
    }

    /// Makes the Input for `order` sent at `now` (recorded for prediction).
    pub fn input(&mut self, order: Order, now: Instant) -> Input {
        self.game.input_at(order, now)
    }
}

/// Bytes a server message occupies on the wire: its protocol length (schemas/protocol.md §4)
/// plus the WebSocket frame header of an unmasked server frame.
pub fn wire_len(msg: &ServerMessage) -> u64 {
    let payload = match msg {
        ServerMessage::Welcome(_) => net::protocol::WELCOME_LEN,
        ServerMessage::Frame(f) => {
            FRAME_HEAD_LEN
                + f.enters.len() * ENTER_RECORD_LEN
                + f.updates.len() * UPDATE_RECORD_LEN
                + f.leaves.len() * 8
        }
        ServerMessage::ChunkData(c) => 21 + c.data.len(),
        ServerMessage::ChunkDrop(_) => 13,
        ServerMessage::Redirect(r) => 34 + r.address.len(),
        ServerMessage::Error(e) => 9 + e.text.len(),
        ServerMessage::Pong(_) => 17,
        ServerMessage::ObjectDelta(d) => d.encoded_len(),
        ServerMessage::ContainerContents(c) => c.encoded_len(),
        ServerMessage::ContainerChange(c) => c.encoded_len(),
        ServerMessage::ContainerClosed(_) => net::protocol::CONTAINER_CLOSED_LEN,
        ServerMessage::Stats(_) => net::protocol::STATS_LEN,
        ServerMessage::ChatHeard(h) => h.encoded_len(),
        ServerMessage::CraftProgress(_) => net::protocol::CRAFT_PROGRESS_LEN,
    };
    (payload + ws_header_len(payload)) as u64
}

/// WebSocket header length of an unmasked frame carrying `payload` bytes.
pub fn ws_header_len(payload: usize) -> usize {
    match payload {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::Content;
    use game::geom::CHUNK_UNITS;
    use net::protocol::{Frame, OwnState, PROTOCOL_VERSION, Stats, Welcome};
    use std::sync::Arc;

    fn frame(tick: u64, (x, y): (i32, i32), hp: u16) -> ServerMessage {
        let own = OwnState { x, y, hp, max_hp: 100, ..OwnState::default() };
        ServerMessage::Frame(Frame { tick, own, ..Frame::default() })
    }

    fn stats(health: u16) -> ServerMessage {
        ServerMessage::Stats(Stats { health, max_health: 100, ..Stats::default() })
    }

    #[test]
    fn after_a_respawn_the_bot_walks_from_where_the_frames_show_it_came_back() {
        let content = Arc::new(Content::builtin());
        let now = Instant::now();
        let mut bot =
            Bot::new(0, "b0".into(), SessionToken([7; 32]), GameClient::new(content.clone()), 3, now);
        bot.survival = Some(SurvivalPlay::new(Default::default(), now));
        let (fell, back) = ((4 * CHUNK_UNITS, 4 * CHUNK_UNITS), (16 * CHUNK_UNITS, 16 * CHUNK_UNITS));
        let welcome = Welcome {
            version: PROTOCOL_VERSION,
            tick_rate_hz: 20,
            player: EntityId(1),
            server_tick: 1,
            map: 0,
            token: bot.token,
            x: fell.0,
            y: fell.1,
            width_chunks: 32,
            height_chunks: 32,
            continent: 0,
            layer: 0,
        };
        let deliver = |bot: &mut Bot, msg: ServerMessage| {
            bot.game.handle_at(&msg, now).expect("applies");
            if let (ServerMessage::Stats(_), Some(s)) = (&msg, bot.survival.as_mut()) {
                s.stats(&bot.game, &mut bot.rng, now, &mut Default::default());
            }
        };
        deliver(&mut bot, ServerMessage::Welcome(welcome));
        deliver(&mut bot, stats(100));
        deliver(&mut bot, frame(2, fell, 100));
        assert!(bot.may_walk());
        deliver(&mut bot, stats(0));
        deliver(&mut bot, frame(3, fell, 0));
        assert!(!bot.may_walk(), "the dead stay where they fell");
        // The respawn's Stats come first: the frames still show the character where it fell.
        deliver(&mut bot, stats(100));
        assert!(!bot.may_walk(), "no walk from where it fell, chunks away from where it stands");
        deliver(&mut bot, frame(4, back, 100));
        assert!(bot.may_walk());
        let moves: Vec<(i32, i32)> = (0..50)
            .filter_map(|_| match bot.choose_order() {
                Some(Order::MoveTo { x, y }) => Some((x, y)),
                _ => None,
            })
            .collect();
        assert!(!moves.is_empty());
        for (x, y) in moves {
            let (dx, dy) = (i64::from(x - back.0), i64::from(y - back.1));
            assert!(dx * dx + dy * dy <= i64::from(16 * TILE).pow(2), "a walk from where it came back");
        }
    }
}

//! The own character's vitals over the wire: after each tick's simulation every player whose
//! health, hunger, stamina or experience changed since the last Stats it was sent gets a new
//! one (the first on entering the world).

use super::Shard;
use crate::wire::stats_message;
use net::protocol::ServerMessage;

impl Shard {
    /// Sends Stats to every player whose vitals or experience changed.
    pub(crate) fn send_stats(&mut self) {
        let (players, maps, outbox) = (&mut self.players, &self.maps, &mut self.outbox);
        for p in players.iter_mut() {
            let sim = &maps.list[p.map].sim;
            let Some((vitals, xp)) = sim.stats(p.entity) else { continue };
            let stats = stats_message(&vitals, &xp, &sim.content.stats);
            if p.sent_stats != Some(stats) {
                p.sent_stats = Some(stats);
                outbox.reply(p.conn, &ServerMessage::Stats(stats));
            }
        }
    }
}

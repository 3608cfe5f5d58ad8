//! What the shard writes of its players, all through the store's writer: sequenced saves under
//! each character's claim ([`SaveSeq`]: a save older than the stored one changes nothing) and
//! positions, every write fenced by its map's ownership epoch, so a shard that lost a map (or a
//! character) can no longer change it in the database.

use super::Shard;
use super::maps::Maps;
use super::players::Online;
use store::{PlayerRecord, PlayerSave, PositionUpdate, Ticket};

impl Online {
    /// The next save of the character, numbered after every save it made before.
    pub(crate) fn next_save(&mut self, player: PlayerRecord) -> PlayerSave {
        self.seq.n += 1;
        PlayerSave { player, seq: self.seq }
    }
}

/// A player's record with its current position, vitals and experience.
pub(crate) fn current_record(maps: &Maps, p: &Online) -> PlayerRecord {
    let mut record = p.record.clone();
    let sim = &maps.list[p.map].sim;
    if let Some((x, y)) = sim.position(p.entity) {
        record.pos = store::Position { x, y };
    }
    if let Some((vitals, xp)) = sim.stats(p.entity) {
        crate::stats::store_into(&mut record, &vitals, &xp);
    }
    record.map = sim.geometry().id;
    record
}

impl Shard {
    /// Queues a save of every online player (checkpoint, shutdown), one fenced batch per map;
    /// returns how many.
    pub(crate) fn save_online(&mut self) -> usize {
        let mut by_map: Vec<Vec<PlayerSave>> = self.maps.list.iter().map(|_| Vec::new()).collect();
        for p in self.players.iter_mut() {
            let record = current_record(&self.maps, p);
            by_map[p.map].push(p.next_save(record));
        }
        let mut saved = 0;
        for (m, saves) in self.maps.list.iter().zip(by_map) {
            if saves.is_empty() {
                continue;
            }
            saved += saves.len();
            if let Err(e) = self.store.writer().save_players_seq(Some(m.fence), saves) {
                tracing::error!(map = m.fence.map, error = %e, "cannot queue the players' save");
            }
        }
        saved
    }

    /// A save of one player leaving this shard's map `online.map` (logout).
    pub(crate) fn save_leaving(&self, online: &mut Online, record: PlayerRecord) -> Option<Ticket> {
        let fence = self.maps.list[online.map].fence;
        let save = online.next_save(record);
        match self.store.writer().save_players_seq(Some(fence), vec![save]) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(player = online.record.id, error = %e, "cannot queue the player's save");
                None
            }
        }
    }

    /// Hands every player's position to the store's writer, which coalesces them and writes one
    /// batch a second, fenced by each map's epoch: after a crash a position is at most about a
    /// second old.
    pub(crate) fn save_positions(&mut self) {
        for (index, m) in self.maps.list.iter().enumerate() {
            let map = m.sim.geometry().id;
            let updates = self.players.iter().filter(|p| p.map == index).filter_map(|p| {
                let (x, y) = m.sim.position(p.entity)?;
                let pos = store::Position { x, y };
                Some(PositionUpdate { player: p.record.id, map, pos, claim: p.seq.claim })
            });
            self.store.writer().set_positions_fenced(m.fence, updates);
        }
    }
}

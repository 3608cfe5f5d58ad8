//! Corpses (§9): a player who dies leaves a corpse where it fell, a container object holding
//! everything it carried (inventory and equipment, slot for slot, bags with what they hold),
//! made in ONE item transaction with the corpse's object, lootable like a box. It lies for
//! the content's `combat.corpse_seconds` (its end is stored in the object's `stage_ends_ms`, so
//! it survives unloads and restarts); then it vanishes, at once when empty or when the content
//! says its items go with it (deleted in the same transaction as the object), else as soon as
//! it is emptied. A server-side bot's corpse (its record's stage is [`BOT_CORPSE`], which clients
//! see as the object's state) always vanishes with whatever it still holds: bots do not loot, so
//! their corpses would otherwise pile up in storage for good.

use super::MapItems;
use super::act::Here;
use super::ground::object_record;
use crate::combat::Wielded;
use crate::items::{EquipSlot, ItemError, Root, is_bot_holder as is_bot};
use crate::sim::chunks::ChunkTable;
use engine::{Column, Commands, Entity};
use net::protocol::closed_reason;
use store::Container;

/// The stage (the wire's object state) of a corpse a bot left; a player's corpse has stage 0.
pub const BOT_CORPSE: u16 = 1;

/// A corpse in memory: its object and when its time is up (map clock, ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Corpse {
    pub(super) object: i64,
    pub(super) ends_ms: i64,
    /// A bot's corpse: it vanishes with its contents whatever the content says.
    pub(super) of_bot: bool,
}

impl MapItems {
    /// Lays a corpse for every character (player or bot) among this tick's deaths who carried
    /// anything.
    pub(super) fn lay_corpses(
        &mut self,
        fresh: &[(Entity, (i32, i32))],
        now_ms: u64,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) {
        for &(entity, at) in fresh {
            let Some(player) = here.player_of(entity) else { continue };
            if !self.views.contains_key(&player) {
                continue;
            }
            self.close_box(player, closed_reason::OUT_OF_REACH);
            if self.world.items_in(Container::Player(player)).next().is_none() {
                continue;
            }
            if let Err(e) = self.lay_corpse(player, at, now_ms, here, chunks, cmds) {
                tracing::error!(player, error = %e, "no corpse: the dead player keeps its items");
            }
        }
    }

    fn lay_corpse(
        &mut self,
        player: i64,
        at: (i32, i32),
        now_ms: u64,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) -> Result<(), ItemError> {
        self.check_room()?;
        let kind = here.content.corpse_kind().ok_or(ItemError::UnknownKind(0))?;
        let object = self.object_ids.take(self.store.loader(), 1).and_then(|v| v.first().copied());
        let object = object.ok_or(ItemError::NoIds)?;
        let capacity = kind.capacity.unwrap_or(0);
        let mut change =
            self.world.spill_into_new_container(Container::Player(player), Root::Object(object), capacity)?;
        let mut record = object_record(object, chunks.geometry().id, kind.id, at, 0);
        let lasts = i64::from(here.content.combat.corpse_seconds) * 1000;
        record.stage_ends_ms = i64::try_from(now_ms).unwrap_or(i64::MAX).saturating_add(lasts);
        let of_bot = is_bot(player);
        if of_bot {
            record.stage = BOT_CORPSE;
        }
        self.corpses.push(Corpse { object, ends_ms: record.stage_ends_ms, of_bot });
        self.place_object(record, &mut change, here, cmds);
        self.commit(change, here, chunks);
        Ok(())
    }

    /// A corpse that came into memory with its chunk (its end read from its record).
    pub(super) fn corpse_loaded(&mut self, object: i64, entity: Entity, here: &Here<'_>) {
        let is_corpse = |kind| here.content.corpse_kind().is_some_and(|k| k.id == kind);
        if let Some(rec) = here.object.get(entity).filter(|r| is_corpse(r.kind)) {
            self.corpses.push(Corpse { object, ends_ms: rec.stage_ends_ms, of_bot: rec.stage == BOT_CORPSE });
        }
    }

    /// Corpses whose time is up vanish (see the module's doc); looked at once a second.
    pub(super) fn expire_corpses(
        &mut self,
        now_ms: u64,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        cmds: &mut Commands,
    ) {
        let second = now_ms / 1000;
        if self.corpse_second == second || self.corpses.is_empty() {
            return;
        }
        self.corpse_second = second;
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let with_items = here.content.combat.corpse_items_despawn;
        let due: Vec<Corpse> = self.corpses.iter().filter(|c| c.ends_ms <= now).copied().collect();
        for c in due {
            let container = Container::Object(c.object);
            let empty = self.world.container(container).is_none_or(|s| s.is_empty());
            if !empty && !with_items && !c.of_bot {
                continue;
            }
            let Some(&entity) = self.objects.get(&c.object) else { continue };
            if self.check_room().is_err() {
                return;
            }
            let mut change = match self.world.destroy_contents(container) {
                Ok(change) => change,
                Err(e) => {
                    tracing::error!(object = c.object, error = %e, "corpse contents not destroyed");
                    continue;
                }
            };
            change.delete_object_last(c.object);
            self.corpses.retain(|k| k.object != c.object);
            self.take_out_of_world(c.object, entity, here.keys, cmds);
            self.commit(change, here, chunks);
        }
    }

    /// Brings what each player whose inventory changed fights with up to date (the weapon in
    /// its hand slot, or the fist), keeping its cooldown.
    pub(super) fn refresh_wielded(&mut self, wielded: &mut Column<Wielded>) {
        for player in std::mem::take(&mut self.armed) {
            let Some(view) = self.views.get(&player) else { continue };
            let Some(w) = wielded.get_mut(view.entity) else { continue };
            let hand = self.world.equipped(player, EquipSlot::Hand).map(|i| (i.kind, i.quality));
            *w = Wielded::holding(&self.content, hand, w.next_hit);
        }
    }
}

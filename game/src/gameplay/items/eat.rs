//! Using an item (UseItem): food is eaten, one item of the stack taken out of the world in one
//! item transaction and the eater's hunger lowered by the food's value scaled by its quality
//! ([`crate::stats::quality_scaled`]). Refused, with nothing changed, for an item that is not food,
//! a dead character or one that is not hungry.

use super::act::Here;
use super::{MapItems, Refusal};
use crate::items::Source;
use crate::sim::chunks::ChunkTable;
use crate::stats::Vitals;
use crate::wire::error as code;
use engine::Column;

impl MapItems {
    /// Eats one item of the stack at `from` (a container the player may touch).
    pub(super) fn use_item(
        &mut self,
        player: i64,
        from: Source,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        vitals: &mut Column<Vitals>,
    ) -> Result<(), Refusal> {
        let refuse = |e: crate::items::ItemError| (e.code(), e.to_string());
        self.check_access(player, from.container).map_err(refuse)?;
        let item = *self.world.item_at(from.container, from.slot).ok_or_else(|| {
            refuse(crate::items::ItemError::EmptySlot { container: from.container, slot: from.slot })
        })?;
        let kind = here.content.item(item.kind);
        let name = kind.map_or("unknown", |k| k.name.as_str());
        let Some(food) = kind.and_then(|k| k.food) else {
            return Err((code::NOT_USABLE, format!("{name} cannot be used: it is not food")));
        };
        let entity = self.views.get(&player).map(|v| v.entity);
        let v = entity.and_then(|e| vitals.get_mut(e)).ok_or((code::DEAD, "no character".to_string()))?;
        if v.is_dead() {
            return Err((code::DEAD, "the character is dead".into()));
        }
        if v.hunger == 0 {
            return Err((code::NOT_HUNGRY, format!("not hungry: the {name} would be wasted")));
        }
        self.check_room().map_err(refuse)?;
        let (change, _) = self.world.take(from, 1).map_err(refuse)?;
        // Cannot fail: the character is alive (checked above).
        let _ = v.eat(food, item.quality);
        self.commit(change, here, chunks);
        Ok(())
    }
}

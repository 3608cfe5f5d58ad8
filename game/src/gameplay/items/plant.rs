//! Planting (Plant, §10): one seed taken from a slot the player may touch (its inventory, a bag
//! in it, its open box) and the object kind the seed `plants` (a crop) created at the asked
//! point at its first stage, started now, with the seed's quality — in one item transaction
//! (the object's `PutObject` first, as a drop's pile), the object entering the map through a
//! command so clients see it as an ObjectDelta. Refused, with nothing changed, for a dead
//! character, an item that is not a seed, a point beyond the character's reach (as an interact
//! reaches: both radii plus the interact range), ground the kind's `soil` does not list, or a
//! spot taken (a blocking tile, the map's edge, another object too near).

use super::MapItems;
use super::act::Here;
use super::ground::{Clearance, is_free};
use crate::gather::{GatherError, Planting, planted, takes_soil};
use crate::growth::clock_ms;
use crate::items::{ItemError, Source};
use crate::sim::chunks::ChunkTable;
use crate::sim::objects::insert_object;
use crate::stats::Vitals;
use engine::{Column, Commands};

impl MapItems {
    /// Plants one seed of the stack at `from` at `at`.
    pub(super) fn plant(
        &mut self,
        (player, from, at): (i64, Source, (i32, i32)),
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        vitals: &Column<Vitals>,
        cmds: &mut Commands,
    ) -> Result<(), GatherError> {
        self.check_access(player, from.container)?;
        let (container, slot) = (from.container, from.slot);
        let item = *self.world.item_at(container, slot).ok_or(ItemError::EmptySlot { container, slot })?;
        let content = here.content;
        let kind = content.item(item.kind).ok_or(ItemError::UnknownKind(item.kind))?;
        let plants = kind.plants.ok_or_else(|| GatherError::NotASeed { item: kind.name.clone() })?;
        let me = self.views.get(&player).map(|v| v.entity).ok_or(ItemError::NotOpen)?;
        vitals.get(me).filter(|v| !v.is_dead()).ok_or(GatherError::Dead)?;
        let stands = here.position(me).ok_or(GatherError::Dead)?;
        let radius = content.object_by_id(plants).map_or(0, |k| k.radius);
        if !here.reaches(stands, at, radius) || !chunks.is_resident_at(at.0, at.1) {
            return Err(GatherError::TooFar);
        }
        let terrain = chunks.terrain_at(at.0 >> 8, at.1 >> 8).ok_or(GatherError::TooFar)?;
        if !takes_soil(content, plants, terrain) {
            let terrain = content.terrains.iter().find(|t| t.id == terrain);
            let terrain = terrain.map_or_else(|| "unknown ground".into(), |t| t.name.clone());
            return Err(GatherError::BadSoil { item: kind.name.clone(), terrain });
        }
        let clearance = Clearance {
            chunks: &*chunks,
            objects: here.objects,
            movers: here.movers,
            character_radius: here.rules.radius,
        };
        if !is_free(&clearance, at, radius) {
            return Err(GatherError::SpotTaken);
        }
        self.check_room()?;
        let id = self.object_ids.take(self.store.loader(), 1).and_then(|v| v.first().copied());
        let id = id.ok_or(ItemError::NoIds)?;
        let (mut change, _) = self.world.take(from, 1)?;
        let (map, quality) = (chunks.geometry().id, item.quality);
        let record =
            planted(content, Planting { id, map, kind: plants, at, quality }, clock_ms(here.clock.now_ms));
        change.put_object_first(record.clone());
        let (k, content) = (here.keys, self.content.clone());
        cmds.run(move |world| {
            if let Err(e) = insert_object(world, &k, &content, record) {
                tracing::error!(object = id, error = %e, "planted object's chunk is not resident");
            }
            Ok(())
        });
        self.commit(change, here, chunks);
        Ok(())
    }
}

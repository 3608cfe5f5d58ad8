//! Crafting in play (Craft, protocol §3): a Craft is checked when its request comes up, then
//! runs for the recipe's `ticks × count` while the character stands still and is given no new
//! order, and completes as one item transaction.
//!
//! **Up front**, in this order, each refusal an Error with the request id and nothing changed:
//! the recipe exists (120), `count ≥ 1` (126), the character is alive (146), the inventory and
//! the bags in it hold the ingredients (121) and the tools (122) ([`ItemWorld::craft_preview`]),
//! the character has the stamina of `count` repetitions (124), the recipe's station (if it
//! names one) is the Craft's `station` entity, an object of that kind within interact reach
//! (125, the reach boxes are opened within), and a result that would not all fit the inventory
//! has a free spot for a pile beside the character (123). Then the stamina is spent, a
//! craft the player had running is cancelled, and a CraftProgress `started` says when it ends.
//!
//! **While it runs** (looked at every tick): a new order given to the character, or the
//! character standing anywhere else than where it started, cancels it (CraftProgress
//! `cancelled`): nothing consumed, the stamina stays spent. So does a second accepted Craft.
//!
//! **At its last tick** everything is checked again (ingredients may have moved meanwhile, the
//! station may be gone, storage may be full) and the craft is [`ItemWorld::craft`]: ingredients
//! consumed and the result made in the inventory, what does not fit in a new pile beside the
//! character (as a drop places it), in ONE transaction; the recipe's experience × `count` is
//! gained. CraftProgress `done` tells what was made, or `failed` with the refusal's code, in
//! which case nothing changed.
//!
//! [`ItemWorld::craft_preview`]: crate::items::ItemWorld::craft_preview
//! [`ItemWorld::craft`]: crate::items::ItemWorld::craft

use super::MapItems;
use super::act::{Body, Here, pool_source, spot_beside};
use super::ground::object_record;
use super::jobs::CraftJob;
use super::requests::{CraftRequest, Refusal};
use crate::content::Recipe;
use crate::items::{Craft, CraftError, CraftOutcome, GroundPile, Root, Stack};
use crate::sim::chunks::ChunkTable;
use crate::wire::error as code;
use engine::{Commands, Entity};
use net::protocol::{CraftProgress, ServerMessage, craft_state};
use store::ObjectRecord;

/// What a finished craft made, as CraftProgress `done` tells it.
struct Made {
    kind: u32,
    quality: u32,
    count: u32,
    ground: u32,
}

impl MapItems {
    /// Checks a Craft and starts it (see the module's doc), or refuses it changing nothing.
    pub(super) fn start_craft(
        &mut self,
        req: CraftRequest,
        here: &Here<'_>,
        chunks: &ChunkTable,
        body: &mut Body<'_>,
        now: u64,
    ) -> Result<(), Refusal> {
        let me = self.views.get(&req.player).map(|v| v.entity);
        let me = me.ok_or_else(no_character)?;
        let recipe = here.content.recipe(req.recipe);
        let recipe = recipe.ok_or_else(|| refusal(CraftError::UnknownRecipe(req.recipe)))?;
        if req.count == 0 {
            return Err(refusal(CraftError::BadCount));
        }
        self.check_alive(me, body)?;
        let craft = craft_by(req.player, req.recipe, req.count, me, body);
        let outcome = self.world.craft_preview(craft).map_err(refusal)?;
        let cost = recipe.stamina_for(req.count);
        let vitals = body.vitals.get_mut(me).ok_or_else(no_character)?;
        let stamina = u16::try_from(cost).ok().filter(|&c| c <= vitals.stamina);
        let stamina = stamina.ok_or_else(|| {
            refusal(CraftError::NotEnoughStamina { needed: cost, left: u64::from(vitals.stamina) })
        })?;
        check_station(recipe, req.station, me, here)?;
        let at = here.position(me).ok_or_else(no_character)?;
        if outcome.overflow > 0 && self.pile_spot(here, chunks, at).is_none() {
            return Err(refusal(CraftError::NoRoom { overflow: overflow_of(&outcome) }));
        }
        // Cannot fail: alive and enough stamina (checked above).
        let _ = vitals.spend_stamina(stamina);
        if let Some(i) = self.crafts.iter().position(|c| c.player == req.player) {
            let old = self.crafts.remove(i);
            self.tell(&old, craft_state::CANCELLED, 0, now, None);
        }
        let finish = now.saturating_add(recipe.ticks_for(req.count));
        let job = CraftJob {
            player: req.player,
            entity: me,
            request: req.request,
            recipe: req.recipe,
            count: req.count,
            station: req.station,
            at,
            order: req.order,
            started: now,
            finish,
        };
        self.crafts.push(job);
        self.tell(&job, craft_state::STARTED, 0, finish, None);
        Ok(())
    }

    /// Looks at every craft running: cancels those whose character moved or was given a new
    /// order, completes those at their last tick, drops those whose character is gone.
    pub(super) fn advance_crafts(
        &mut self,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        body: &mut Body<'_>,
        cmds: &mut Commands,
        now: u64,
    ) {
        let mut i = 0;
        while i < self.crafts.len() {
            let job = &mut self.crafts[i];
            let (Some(at), Some(slot)) = (here.position(job.entity), here.orders.get(job.entity)) else {
                self.crafts.remove(i);
                continue;
            };
            let cancelled = at != job.at || job.order.replaced(slot);
            if !cancelled && now < job.finish {
                i += 1;
                continue;
            }
            // `remove`, not `swap_remove`: crafts complete in the order they started.
            let job = self.crafts.remove(i);
            if cancelled {
                self.tell(&job, craft_state::CANCELLED, 0, now, None);
                continue;
            }
            match self.complete_craft(&job, here, chunks, body, cmds) {
                Ok(made) => self.tell(&job, craft_state::DONE, 0, now, Some(made)),
                Err(e) => {
                    self.count_refusal(job.player, e.0);
                    self.tell(&job, craft_state::FAILED, e.0, now, None);
                }
            }
        }
    }

    /// The craft at its last tick: checked again, then made in one transaction and the
    /// experience gained; refused changing nothing.
    fn complete_craft(
        &mut self,
        job: &CraftJob,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        body: &mut Body<'_>,
        cmds: &mut Commands,
    ) -> Result<Made, Refusal> {
        let recipe =
            here.content.recipe(job.recipe).ok_or_else(|| refusal(CraftError::UnknownRecipe(job.recipe)))?;
        self.check_alive(job.entity, body)?;
        check_station(recipe, job.station, job.entity, here)?;
        self.check_room().map_err(|e| refusal(e.into()))?;
        let craft = craft_by(job.player, job.recipe, job.count, job.entity, body);
        let outcome = self.world.craft_preview(craft).map_err(refusal)?;
        let pile = match outcome.overflow {
            0 => None,
            _ => Some(self.offer_pile(here, chunks, job.at, overflow_of(&outcome))?),
        };
        let crafted = {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            let ground = pile.as_ref().map(|(ground, _)| *ground);
            self.world.craft(craft, ground, &mut ids).map_err(refusal)?
        };
        let mut change = crafted.change;
        if let (Some(_), Some((_, record))) = (crafted.pile, pile) {
            change.put_object_first(record.clone());
            self.add_to_world(record, here, cmds);
        }
        self.commit(change, here, chunks);
        if let Some(xp) = body.experience.get_mut(job.entity) {
            let gained = u32::try_from(recipe.experience_for(job.count)).unwrap_or(u32::MAX);
            xp.gain(recipe.experience.kind, gained);
        }
        let result = crafted.outcome.result;
        let ground = crafted.outcome.overflow;
        Ok(Made { kind: result.kind, quality: result.quality, count: result.count, ground })
    }

    /// Refuses a dead character (146).
    fn check_alive(&self, me: Entity, body: &Body<'_>) -> Result<(), Refusal> {
        match body.vitals.get(me) {
            Some(v) if !v.is_dead() => Ok(()),
            Some(_) => Err((code::DEAD, "the character is dead".into())),
            None => Err(no_character()),
        }
    }

    /// Where a pile for a craft's overflow would lie beside a character at `at`.
    fn pile_spot(&self, here: &Here<'_>, chunks: &ChunkTable, at: (i32, i32)) -> Option<(i32, i32)> {
        let pile = here.content.pile_kind()?;
        spot_beside(here, chunks, at, pile.radius)
    }

    /// A new ground pile beside `at` for the overflow (as a drop makes one): the container the
    /// craft may fill and the object record to store first.
    fn offer_pile(
        &mut self,
        here: &Here<'_>,
        chunks: &ChunkTable,
        at: (i32, i32),
        overflow: Stack,
    ) -> Result<(GroundPile, ObjectRecord), Refusal> {
        let no_room = || refusal(CraftError::NoRoom { overflow });
        let pile = here.content.pile_kind().ok_or_else(no_room)?;
        let spot = self.pile_spot(here, chunks, at).ok_or_else(no_room)?;
        let object = self.new_object_id().map_err(|e| refusal(e.into()))?;
        let record = object_record(object, chunks.geometry().id, pile.id, spot, 0);
        Ok((GroundPile { root: Root::Object(object), capacity: pile.capacity.unwrap_or(1) }, record))
    }

    /// Queues the CraftProgress of `job` in `state` for its player.
    fn tell(&mut self, job: &CraftJob, state: u8, code: u16, finish: u64, made: Option<Made>) {
        let made = made.unwrap_or(Made { kind: 0, quality: 0, count: 0, ground: 0 });
        let progress = CraftProgress {
            request: job.request,
            recipe: job.recipe,
            state,
            code,
            started: job.started,
            finish,
            kind: made.kind,
            quality: made.quality,
            made: made.count,
            ground: made.ground,
        };
        self.tell_player(job.player, ServerMessage::CraftProgress(progress));
    }
}

/// The recipe's station, if it names one, must be the entity the Craft named: an object of
/// that kind within interact reach of `me` (125).
fn check_station(
    recipe: &Recipe,
    station: Option<Entity>,
    me: Entity,
    here: &Here<'_>,
) -> Result<(), Refusal> {
    let Some(kind) = recipe.station else { return Ok(()) };
    let is_kind = |e: Entity| here.object.get(e).is_some_and(|o| o.kind == kind);
    if station.is_some_and(|e| is_kind(e) && here.in_reach(me, e)) {
        return Ok(());
    }
    let name =
        here.content.object_by_id(kind).map_or_else(|| format!("object kind {kind}"), |o| o.name.clone());
    Err(refusal(CraftError::StationNotInReach { station: name }))
}

/// The item model's craft of `count` × `recipe` by `player`, whose character `me` has the
/// crafting experience that caps the quality.
fn craft_by(player: i64, recipe: u16, count: u16, me: Entity, body: &Body<'_>) -> Craft {
    let experience = body.experience.get(me).map_or(0, |xp| u64::from(xp.crafting));
    Craft { player, recipe, times: count, experience }
}

/// The part of a craft's result that does not fit the inventory.
fn overflow_of(outcome: &CraftOutcome) -> Stack {
    Stack { count: outcome.overflow, ..outcome.result }
}

/// The refusal of a Craft by a player whose character is not on the map (146, as for eating).
fn no_character() -> Refusal {
    (code::DEAD, "no character".into())
}

/// A craft refusal as the Error it is sent as.
fn refusal(e: CraftError) -> Refusal {
    (e.code(), e.to_string())
}

//! Gathering in play (§10): interact actions with verb 0 (use) on an object whose kind gives
//! something (`content::Gather`: a tree felled, a bush picked, stones broken off a rock, a ripe
//! crop harvested). The character works the kind's `ticks` in a row in reach (the action
//! `Continue`s; a new order or a tick out of reach starts the count again and nothing is given);
//! on the first tick everything that would refuse the work is checked (a dead character, a
//! missing tool in the hand slot, nothing to give at the object's stage, too little stamina, no
//! room in the inventory for all of it), and again when the work completes. Then, as one item
//! transaction: the items given to the inventory (all of them, or none: refused with no room),
//! the object's new record (a stump, a bare bush) or its deletion (a harvested crop) — so
//! storage never holds both the logs and the tree. Stamina is paid and gathering experience
//! gained at completion; the object changes through a command (`sim::objects`), so clients see
//! an ObjectDelta. Refusals are Errors carrying the seq of the Input that gave the order.

use super::MapItems;
use super::act::{Here, pool_source};
use crate::content::{ExperienceKind, Gather};
use crate::gather::{Aftermath, GatherError, Work, aftermath, stage_now, yield_quality};
use crate::growth::clock_ms;
use crate::items::{EquipSlot, ItemError, Stack};
use crate::orders::{ActionKind, ActionQueue, ActionResult};
use crate::sim::chunks::ChunkTable;
use crate::sim::objects::{remove_object, update_object};
use crate::stats::{Experience, Vitals};
use crate::wire::verb;
use engine::{Column, Commands, Entity};
use std::collections::HashMap;
use store::{Container, ItemOp, ObjectRecord};

/// Who is gathering what, and the Inputs their orders came from.
#[derive(Debug, Default)]
pub(super) struct Gathering {
    /// Each character's current work, by entity index (looked at every tick of the work, for
    /// thousands of bots: no hashing).
    work: Vec<Option<Work>>,
    /// Each player's last Input seq: a gathering refusal names the Input that ordered it.
    inputs: HashMap<i64, u32>,
    /// Objects gathered this tick (a second worker finishing on the same tick waits a tick and
    /// then meets the object as it became).
    changed: Vec<Entity>,
}

impl Gathering {
    /// Forgets a player who left, whose character was `entity`.
    pub(super) fn forget(&mut self, player: i64, entity: Option<Entity>) {
        if let Some(e) = entity {
            self.set_work(e, None);
        }
        self.inputs.remove(&player);
    }

    fn work_of(&self, e: Entity) -> Option<Work> {
        self.work.get(e.index() as usize).copied().flatten()
    }

    fn set_work(&mut self, e: Entity, work: Option<Work>) {
        let i = e.index() as usize;
        if i >= self.work.len() {
            if work.is_none() {
                return;
            }
            self.work.resize(i + 1, None);
        }
        self.work[i] = work;
    }
}

/// One gathering action as judged: the actor's character and player, the object and its kind's
/// table.
struct Job<'a> {
    player: i64,
    actor: Entity,
    target: Entity,
    record: &'a ObjectRecord,
    gather: &'a Gather,
    work: Work,
}

/// What a completed gathering gives: the stacks and the object's fate.
struct Outcome {
    stacks: Vec<Stack>,
    after: Aftermath,
}

impl MapItems {
    /// Notes the seq of a player's Input (its refusals name it).
    pub fn note_input(&mut self, player: i64, seq: u32) {
        self.gathering.inputs.insert(player, seq);
    }

    /// Judges this tick's interact actions (verb use) of players on objects that give something.
    pub(super) fn judge_gathering(
        &mut self,
        queue: &mut ActionQueue,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        (vitals, xp): (&mut Column<Vitals>, &mut Column<Experience>),
        cmds: &mut Commands,
    ) {
        self.gathering.changed.clear();
        for action in queue.actions_mut() {
            if action.kind != (ActionKind::Interact { verb: verb::USE }) {
                continue;
            }
            let Some(player) = here.player_of(action.actor) else { continue };
            let Some(record) = here.object.get(action.target) else { continue };
            let worked = self.gathering.work_of(action.actor);
            let Some(gather) = here.content.gather(record.kind) else {
                // The object worked on became one that gives nothing (felled meanwhile).
                if worked.is_some_and(|w| w.target == action.target && w.seq == action.seq) {
                    self.refuse_gathering(player, GatherError::NothingLeft);
                    action.result = ActionResult::Refused;
                }
                continue;
            };
            let work = Work::step(worked, action.target, action.seq, here.clock.tick);
            if !(work.is_starting() || work.is_done(gather.ticks)) {
                // A tick in the middle of the work: nothing to check (the cheap path every
                // working character takes every tick).
                self.gathering.set_work(action.actor, Some(work));
                action.result = ActionResult::Continue;
                continue;
            }
            if !self.views.contains_key(&player) {
                continue;
            }
            self.gathering.set_work(action.actor, Some(work));
            let job = Job { player, actor: action.actor, target: action.target, record, gather, work };
            action.result = match self.work_on(&job, here, chunks, (vitals, xp), cmds) {
                Ok(false) => ActionResult::Continue,
                Ok(true) => {
                    self.gathering.set_work(action.actor, None);
                    ActionResult::Done
                }
                Err(e) => {
                    self.gathering.set_work(action.actor, None);
                    self.refuse_gathering(player, e);
                    ActionResult::Refused
                }
            };
        }
    }

    /// One tick of work; `Ok(true)` when it completed (and everything was given).
    fn work_on(
        &mut self,
        job: &Job<'_>,
        here: &Here<'_>,
        chunks: &mut ChunkTable,
        (vitals, xp): (&mut Column<Vitals>, &mut Column<Experience>),
        cmds: &mut Commands,
    ) -> Result<bool, GatherError> {
        let done = job.work.is_done(job.gather.ticks);
        if !(job.work.is_starting() || done) {
            return Ok(false);
        }
        let outcome = self.check_gathering(job, here, vitals)?;
        if !done || self.gathering.changed.contains(&job.target) {
            return Ok(false);
        }
        self.check_room()?;
        let mut change = {
            let mut ids = pool_source(&mut self.item_ids, self.store.loader());
            self.world.give_all(Container::Player(job.player), &outcome.stacks, &mut ids)?
        };
        // Checked above, in this same tick: cannot fail.
        if let Some(v) = vitals.get_mut(job.actor) {
            let _ = v.spend_stamina(job.gather.stamina);
        }
        if let Some(x) = xp.get_mut(job.actor) {
            x.gain(ExperienceKind::Gathering, job.gather.experience);
        }
        let (k, content, e) = (here.keys, self.content.clone(), job.target);
        match outcome.after {
            Aftermath::Stays => {}
            Aftermath::Changed(next) => {
                change.tx.ops.push(ItemOp::PutObject(next.clone()));
                cmds.run(move |world| {
                    update_object(world, &k, &content, e, move |r| *r = next);
                    Ok(())
                });
            }
            Aftermath::Removed => {
                change.delete_object_last(job.record.id);
                cmds.run(move |world| {
                    remove_object(world, &k, e);
                    Ok(())
                });
            }
        }
        self.gathering.changed.push(job.target);
        self.commit(change, here, chunks);
        Ok(true)
    }

    /// Everything that would refuse the gathering, checked without changing anything: the
    /// character alive, the tool in hand, something to give at the object's stage, the stamina,
    /// room for all of it. Returns what it would give and what becomes of the object.
    fn check_gathering(
        &self,
        job: &Job<'_>,
        here: &Here<'_>,
        vitals: &Column<Vitals>,
    ) -> Result<Outcome, GatherError> {
        let v = vitals.get(job.actor).filter(|v| !v.is_dead()).ok_or(GatherError::Dead)?;
        let content = here.content;
        let name = || content.object_by_id(job.record.kind).map_or_else(String::new, |k| k.name.clone());
        let tool = match job.gather.tool {
            None => None,
            Some(tag) => {
                let held = self.world.equipped(job.player, EquipSlot::Hand);
                let fits = held.filter(|i| content.item(i.kind).is_some_and(|k| k.has(tag)));
                Some(fits.ok_or_else(|| GatherError::NeedTool { object: name(), tool: tag.name() })?.quality)
            }
        };
        let now = clock_ms(here.clock.now_ms);
        let stage = stage_now(content, job.record, now);
        let yields = job.gather.yields_at(stage);
        if yields.is_empty() {
            let growth = content.growth(job.record.kind);
            let stage = growth.and_then(|g| g.stages.get(usize::from(stage))).cloned().unwrap_or_default();
            return Err(GatherError::NotReady { object: name(), stage });
        }
        if v.stamina < job.gather.stamina {
            return Err(GatherError::Tired { needed: job.gather.stamina, have: v.stamina });
        }
        let r = job.record;
        let quality = yield_quality(r.quality, tool, job.gather.spread, r.id, now);
        let stacks: Vec<Stack> =
            yields.iter().map(|y| Stack { kind: y.kind, quality, count: y.count }).collect();
        match self.world.check_give_all(Container::Player(job.player), &stacks) {
            Err(ItemError::NoRoom(_)) => return Err(GatherError::NoRoom { object: name() }),
            room => room?,
        }
        Ok(Outcome { stacks, after: aftermath(content, job.gather.after, r, now) })
    }

    fn refuse_gathering(&mut self, player: i64, e: GatherError) {
        let seq = self.gathering.inputs.get(&player).copied().unwrap_or(0);
        self.error(player, seq, e.code(), e.to_string());
    }
}

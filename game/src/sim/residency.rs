//! Chunk residency (§4): every character keeps the 3×3 chunks around its own resident, plus the
//! chunks within `ahead_tiles` beyond them (load ahead); each chunk records when it was last
//! needed. Idle chunks are saved if dirty and unloaded only once the save is confirmed. Loads go
//! through the [`ChunkService`]; the tick only installs what is ready. Growing objects are
//! brought up to the install's time in closed form as they enter (`growth::advance`: the same
//! stage a chunk that stayed resident shows, at a cost per object independent of the time away)
//! and their next stage change scheduled.

use super::chunks::{ChunkState, ChunkTable, ResidentChunk};
use super::components::LoadedContainer;
use super::components::{Keys, SimConfig};
use super::objects::{despawn_object, holds_items, items_below, spawn_object};
use super::service::{ChunkEvent, ChunkService};
use crate::content::Content;
use crate::error::GameError;
use crate::geom::{CHUNK_TILES, CHUNK_UNITS, MapGeometry, TILE};
use crate::growth::{self, clock_ms};
use engine::{Commands, Entity, ResourceKey, Schedule, SortedGrid};
use std::sync::Arc;
use store::{ChunkCodec, ChunkKey, ChunkRecord, ChunkSave, ItemRecord, ObjectRecord};

/// How long to wait before retrying a failed load or save.
const RETRY_MS: u64 = 1_000;
/// How many recent storage errors [`Residency::errors`] keeps.
pub const RECENT_ERRORS: usize = 64;

/// Residency bookkeeping owned by the residency system.
#[derive(Debug)]
pub struct Residency {
    pub(crate) service: ChunkService,
    blocks: Vec<bool>,
    /// `(object kind, collision radius)` from content.
    radii: Vec<(u32, i32)>,
    /// Object kinds whose objects hold items (boxes, piles).
    containers: Vec<u32>,
    /// Content (growth tables of the objects loaded).
    content: Arc<Content>,
    codec: ChunkCodec,
    /// Chunks quarantined so far (reported; never regenerated).
    pub quarantine_reports: Vec<(ChunkKey, String)>,
    /// The most recent storage errors (loads or saves that will be retried), at most
    /// [`RECENT_ERRORS`]; every one is also logged and counted in `error_count`.
    pub errors: std::collections::VecDeque<String>,
    /// Storage errors seen in total.
    pub error_count: u64,
    /// Object rows that could not be read, in total.
    pub bad_rows: usize,
    /// Chunks installed (loaded or generated) since start.
    pub loads: u64,
    /// Chunks unloaded since start.
    pub unloads: u64,
    /// Per chunk: which (chunk, edge) cases characters are in this tick (scratch).
    masks: Vec<u16>,
    /// Chunks with a non-zero mask (scratch).
    occupied: Vec<u32>,
}

impl Residency {
    pub(crate) fn new(service: ChunkService, content: Arc<Content>) -> Self {
        let radii = content.objects.iter().map(|o| (o.id, o.radius)).collect();
        let containers =
            content.objects.iter().filter(|o| holds_items(&content, o.id)).map(|o| o.id).collect();
        let blocks = content.blocking.clone();
        Self {
            service,
            blocks,
            radii,
            containers,
            content,
            codec: ChunkCodec::new(),
            quarantine_reports: Vec::new(),
            errors: std::collections::VecDeque::new(),
            error_count: 0,
            bad_rows: 0,
            loads: 0,
            unloads: 0,
            masks: Vec::new(),
            occupied: Vec::new(),
        }
    }
}

/// Adds the "residency" stage: marks needed chunks, installs ready ones, saves and unloads idle
/// ones.
pub(crate) fn add_stage(
    schedule: &mut Schedule,
    k: Keys,
    key: ResourceKey<Residency>,
    config: SimConfig,
) -> Result<(), GameError> {
    let stage = schedule.add_stage("residency");
    let sys = schedule.system(stage, "residency").reads(k.object).writes_resource(k.chunks);
    sys.writes_resource(key)
        .reads_resource(k.movers)
        .reads_resource(k.clock)
        .run(move |ctx, cmds| {
            let now = ctx.resource(k.clock).now_ms;
            let (mut chunks, mut res) = (ctx.resource_mut(k.chunks), ctx.resource_mut(key));
            mark_needed(&mut chunks, &mut res, &ctx.resource(k.movers), now, config.ahead_tiles);
            install_ready(&mut chunks, &mut res, (k, key), now, config.installs_per_tick, cmds);
            let objects = ctx.read(k.object);
            sweep(&mut chunks, &mut res, now, config.idle_unload_ms, &objects, k, cmds);
        })
        .map_err(Into::into)
}

/// Which neighbours a character needs beyond its 3×3: per axis −1 (near the low edge of its
/// chunk), 0 or +1 (near the high edge), packed as a bit index `0..9`.
fn ahead_bit(x: i32, y: i32, ahead: i32) -> u32 {
    let side = |v: i32| {
        let local = v & (CHUNK_UNITS - 1);
        if local < ahead {
            0
        } else if CHUNK_UNITS - local <= ahead {
            2
        } else {
            1
        }
    };
    side(x) * 3 + side(y)
}

/// Stamps `now` on every chunk some character needs and requests the absent ones. Each
/// character sets one bit of its chunk's mask (O(1), no allocation); then every distinct
/// (chunk, edge) pair touches its 3×3 plus the chunks ahead.
fn mark_needed(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    movers: &SortedGrid,
    now: u64,
    ahead_tiles: i32,
) {
    let ahead = ahead_tiles.clamp(0, CHUNK_TILES / 2) * TILE;
    let geometry = *chunks.geometry();
    res.masks.resize(geometry.chunk_count(), 0);
    for g in movers.entries() {
        let (cx, cy) = MapGeometry::chunk_of(g.x, g.y);
        let Some(i) = geometry.chunk_index(cx, cy) else { continue };
        if res.masks[i] == 0 {
            res.occupied.push(i as u32);
        }
        res.masks[i] |= 1 << ahead_bit(g.x, g.y, ahead);
    }
    for k in 0..res.occupied.len() {
        let i = res.occupied[k] as usize;
        let (cx, cy) = geometry.chunk_coords(i);
        let mask = std::mem::take(&mut res.masks[i]);
        for bit in (0..9).filter(|b| mask >> b & 1 != 0) {
            let (ex, ey) = (bit / 3 - 1, bit % 3 - 1);
            for ty in cy - 1 + ey.min(0)..=cy + 1 + ey.max(0) {
                for tx in cx - 1 + ex.min(0)..=cx + 1 + ex.max(0) {
                    touch(chunks, res, tx, ty, now);
                }
            }
        }
    }
    res.occupied.clear();
}

/// Marks one chunk needed and requests it if absent.
pub(crate) fn touch(chunks: &mut ChunkTable, res: &Residency, cx: i32, cy: i32, now: u64) {
    let Some(i) = chunks.geometry().chunk_index(cx, cy) else { return };
    let key = chunks.geometry().key(cx, cy);
    let slot = chunks.slot_at_mut(i);
    slot.last_needed_ms = now;
    if slot.state == ChunkState::Saving {
        // Needed again: stays resident; the save in flight still clears `dirty` when it lands.
        slot.state = ChunkState::Resident;
    }
    if slot.state != ChunkState::Absent || slot.retry_at_ms > now {
        return;
    }
    match res.service.request(key, now) {
        Ok(()) => {
            slot.state = ChunkState::Loading;
            chunks.live.push(i);
        }
        Err(_) => slot.retry_at_ms = now + RETRY_MS,
    }
}

fn install_ready(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    keys: (Keys, ResourceKey<Residency>),
    now: u64,
    limit: usize,
    cmds: &mut Commands,
) {
    for _ in 0..limit {
        let Some(event) = res.service.poll() else { return };
        match event {
            ChunkEvent::Ready { key, tiles, version, objects, items, generated_save, bad_rows } => {
                let Some(i) = chunks.geometry().chunk_index(key.cx, key.cy) else { continue };
                res.bad_rows += bad_rows;
                res.loads += 1;
                let slot = chunks.slot_at_mut(i);
                let mut data = ResidentChunk::new(tiles, &res.blocks, slot.install_version(version));
                data.tiles_unsaved = generated_save.is_some();
                (slot.state, slot.data, slot.ticket) =
                    (ChunkState::Resident, Some(Box::new(data)), generated_save);
                queue_spawn_objects(cmds, keys, i, objects, items);
            }
            ChunkEvent::Quarantine { key, reason } => quarantine(chunks, res, key, reason),
            ChunkEvent::Failed { key, error } => {
                res.record_error(format!("load {key:?}: {error}"));
                if let Some(i) = chunks.geometry().chunk_index(key.cx, key.cy) {
                    let slot = chunks.slot_at_mut(i);
                    (slot.state, slot.retry_at_ms) = (ChunkState::Absent, now + RETRY_MS);
                    chunks.live.retain(|&j| j != i);
                }
            }
        }
    }
}

fn quarantine(chunks: &mut ChunkTable, res: &mut Residency, key: ChunkKey, reason: String) {
    let Some(i) = chunks.geometry().chunk_index(key.cx, key.cy) else { return };
    let slot = chunks.slot_at_mut(i);
    slot.state = ChunkState::Quarantined;
    slot.quarantine_reason = Some(reason.clone());
    res.quarantine_reports.push((key, reason));
}

/// Unloads idle chunks (saving dirty ones first) and follows saves in flight.
#[allow(clippy::too_many_arguments)]
fn sweep(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    now: u64,
    idle_ms: u64,
    objects: &engine::Column<ObjectRecord>,
    k: Keys,
    cmds: &mut Commands,
) {
    let mut j = 0;
    while j < chunks.live.len() {
        let i = chunks.live[j];
        if step_slot(chunks, res, i, now, idle_ms, objects, k, cmds) {
            chunks.live.swap_remove(j);
        } else {
            j += 1;
        }
    }
}

/// Advances one live slot; true when it became absent.
#[allow(clippy::too_many_arguments)]
fn step_slot(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    i: usize,
    now: u64,
    idle_ms: u64,
    objects: &engine::Column<ObjectRecord>,
    k: Keys,
    cmds: &mut Commands,
) -> bool {
    poll_save(chunks, res, i, now);
    let slot = chunks.slot_at(i);
    let idle = now.saturating_sub(slot.last_needed_ms) > idle_ms;
    if !idle || slot.ticket.is_some() || !matches!(slot.state, ChunkState::Resident | ChunkState::Saving) {
        return false;
    }
    let Some(data) = slot.data.as_deref() else { return false };
    if data.dirty || data.tiles_unsaved {
        if slot.retry_at_ms <= now {
            submit_save(chunks, res, i, now, objects);
        }
        return false;
    }
    let slot = chunks.slot_at_mut(i);
    let data = slot.data.take();
    slot.unloaded_version = data.as_ref().map(|d| d.version);
    let entities = data.map(|d| d.objects).unwrap_or_default();
    slot.state = ChunkState::Absent;
    res.unloads += 1;
    let containers: Vec<i64> = entities
        .iter()
        .filter_map(|&e| objects.get(e))
        .filter(|r| res.kind_traits(r.kind).1)
        .map(|r| r.id)
        .collect();
    queue_despawn_objects(cmds, k, entities, containers);
    true
}

/// Resolves a save in flight: confirmed → clean; failed → stays dirty, retried later.
fn poll_save(chunks: &mut ChunkTable, res: &mut Residency, i: usize, now: u64) {
    let slot = chunks.slot_at_mut(i);
    let Some(result) = slot.ticket.as_ref().and_then(|t| t.try_take()) else { return };
    slot.ticket = None;
    match result {
        Ok(()) => {
            // `dirty` was cleared when the save was submitted; a change made while it was in
            // flight set it again and must not be forgotten, so only the tiles flag clears here.
            if let Some(d) = slot.data.as_mut() {
                d.tiles_unsaved = false;
            }
        }
        Err(e) => {
            if let Some(d) = slot.data.as_mut() {
                d.dirty = true;
            }
            slot.retry_at_ms = now + RETRY_MS;
            res.record_error(format!("save chunk {i}: {e}"));
        }
    }
}

/// Submits a save of every resident chunk with unsaved changes and no save in flight (the
/// periodic checkpoint and the shutdown flush); the chunks stay resident. Returns how many.
pub(crate) fn checkpoint(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    objects: &engine::Column<ObjectRecord>,
    now: u64,
) -> usize {
    let mut submitted = 0;
    for j in 0..chunks.live.len() {
        let i = chunks.live[j];
        let slot = chunks.slot_at(i);
        let unsaved = slot.data.as_deref().is_some_and(|d| d.dirty || d.tiles_unsaved);
        if slot.state != ChunkState::Resident || slot.ticket.is_some() || !unsaved {
            continue;
        }
        submit_save(chunks, res, i, now, objects);
        let slot = chunks.slot_at_mut(i);
        if slot.ticket.is_some() {
            slot.state = ChunkState::Resident;
            submitted += 1;
        }
    }
    submitted
}

fn submit_save(
    chunks: &mut ChunkTable,
    res: &mut Residency,
    i: usize,
    now: u64,
    objects: &engine::Column<ObjectRecord>,
) {
    let (cx, cy) = chunks.geometry().chunk_coords(i);
    let key = chunks.geometry().key(cx, cy);
    let slot = chunks.slot_at_mut(i);
    let Some(data) = slot.data.as_mut() else { return };
    let records = data.objects.iter().filter_map(|&e| objects.get(e).cloned()).collect();
    let chunk = data.tiles_unsaved.then(|| ChunkRecord {
        key,
        version: data.version,
        data: res.codec.encode(&data.tiles),
    });
    match res.service.save(ChunkSave { key, chunk, objects: records }) {
        Ok(ticket) => {
            slot.ticket = Some(ticket);
            slot.state = ChunkState::Saving;
            // A change after this point re-dirties the chunk; a failed save re-dirties it too.
            data.dirty = false;
        }
        Err(e) => {
            slot.retry_at_ms = now + RETRY_MS;
            res.record_error(format!("save {key:?}: {e}"));
        }
    }
}

fn queue_spawn_objects(
    cmds: &mut Commands,
    (k, key): (Keys, ResourceKey<Residency>),
    slot: usize,
    mut records: Vec<ObjectRecord>,
    items: Vec<ItemRecord>,
) {
    cmds.run(move |world| {
        let now = clock_ms(world.resource(k.clock).now_ms);
        let traits: Vec<(i32, bool, bool)> = {
            let res = world.resource(key);
            records.iter_mut().map(|r| res.enter_traits(r, now)).collect()
        };
        let mut loaded = Vec::new();
        let mut entities = Vec::with_capacity(records.len());
        for (r, (radius, container, grows)) in records.into_iter().zip(traits) {
            let (object, kind, ends) = (r.id, r.kind, r.stage_ends_ms);
            let entity = spawn_object(world, &k, r, radius);
            if container {
                loaded.push(LoadedContainer { object, entity, kind, items: items_below(object, &items) });
            }
            if grows {
                world.resource_mut(k.growth).schedule(ends, entity);
            }
            entities.push(entity);
        }
        world.resource_mut(k.containers).loaded.extend(loaded);
        let mut chunks = world.resource_mut(k.chunks);
        if let Some(d) = chunks.slot_at_mut(slot).data.as_mut() {
            d.objects.extend(entities);
        }
        Ok(())
    });
}

impl Residency {
    /// Logs a storage error and keeps it among the recent ones (bounded: a long outage must not
    /// grow memory).
    fn record_error(&mut self, message: String) {
        tracing::warn!(target: "residency", "{message}");
        self.error_count += 1;
        if self.errors.len() == RECENT_ERRORS {
            self.errors.pop_front();
        }
        self.errors.push_back(message);
    }

    /// An object entering with its chunk: a growing one is brought up to `now_ms` (its stored
    /// stage and stage start say where continuous growth stands now; the chunk is not dirtied,
    /// as the stored pair still says the same). Returns its radius, whether it holds items and
    /// whether it grows.
    fn enter_traits(&self, record: &mut ObjectRecord, now_ms: i64) -> (i32, bool, bool) {
        let grows = self.content.growth(record.kind);
        if let Some(g) = grows {
            growth::bring_up_to_date(record, g, now_ms);
        }
        let (radius, container) = self.kind_traits(record.kind);
        (radius, container, grows.is_some())
    }

    /// Collision radius of object `kind`, and whether its objects hold items.
    fn kind_traits(&self, kind: u32) -> (i32, bool) {
        let radius = self.radii.iter().find(|&&(k, _)| k == kind).map_or(0, |&(_, r)| r);
        (radius, self.containers.contains(&kind))
    }
}

/// Despawns an unloaded chunk's objects; `containers` (the stored ids of those that hold
/// items) are reported in [`ContainerEvents`](super::components::ContainerEvents).
fn queue_despawn_objects(cmds: &mut Commands, k: Keys, entities: Vec<Entity>, containers: Vec<i64>) {
    cmds.run(move |world| {
        world.resource_mut(k.containers).unloaded.extend(containers);
        for e in entities {
            despawn_object(world, &k, e);
        }
        Ok(())
    });
}

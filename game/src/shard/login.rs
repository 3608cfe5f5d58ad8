//! Logins as step machines the tick advances without waiting: load the player by name (or
//! create it: ids, then the record and its starter items in one transaction that claims the name,
//! durable before Welcome), check the session token, then search a spawn spot (§5). Every store
//! call is a pending answer polled once per tick.
//!
//! A creation that finds its name taken (another login of the same name won the race, or our own
//! earlier commit whose answer was lost) loads the player again and checks the token: the same
//! token is the same client, which logs in; another token is refused with 4100 and nothing this
//! login submitted persists.

use crate::content::Content;
use crate::geom::{CHUNK_SHIFT, CHUNK_TILES, MapGeometry, TILE};
use crate::ids::IdPool;
use crate::names;
use crate::session::{Login, LoginError, SessionToken, check_login};
use crate::spawn::Spawner;
use crate::worldgen::WorldGen;
use net::ConnId;
use std::sync::{Arc, LazyLock};
use store::{
    Container, IdKind, ItemOp, ItemRecord, ItemTx, MapId, Pending, PlayerLoad, PlayerRecord, Store,
    StoreError, Ticket,
};

/// Items every new character starts with, `(kind, count)` one stack per inventory slot: the
/// `[starter]` kit of the shipped content (`schemas/content/items.toml`).
pub static STARTER_KIT: LazyLock<Vec<(u32, u32)>> =
    LazyLock::new(|| Content::builtin().starter_kit.iter().map(|s| (s.kind, s.count)).collect());
/// Quality of the starter kit's items (`[starter] quality`).
pub static STARTER_QUALITY: LazyLock<u32> =
    LazyLock::new(|| Content::builtin().starter_kit.first().map_or(0, |s| s.quality));

pub use crate::wire::close;

/// A login gives up after this long (storage down or overloaded).
pub const LOGIN_TIMEOUT_MS: u64 = 30_000;

/// Where a login stands.
#[derive(Debug)]
enum Stage {
    /// Waiting for the player row by name.
    Loading(Pending<Option<PlayerLoad>>),
    /// A new name: waiting for ids.
    Creating { token: SessionToken, hash: [u8; 32] },
    /// New record and starter items submitted in one creation: waiting until it is durable.
    Storing { record: PlayerRecord, token: SessionToken, created: Ticket, kit: Vec<ItemRecord> },
}

/// What a login step led to.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing yet; step again next tick.
    Wait,
    /// Refuse the connection with this close code and reason.
    Refuse(u16, String),
    /// The player is who it claims to be; `items` are its stored items (flat), as of a load
    /// started at `started_ms`.
    Verified { record: PlayerRecord, items: Vec<ItemRecord>, token: [u8; 32], started_ms: u64 },
}

/// One connection's login.
#[derive(Debug)]
pub(crate) struct LoginJob {
    /// The connection.
    pub conn: ConnId,
    /// Name from Hello, normalized (`names::normalize`).
    pub name: String,
    /// The token to check: Hello's, or once a creation was tried, the one it stored.
    presented: [u8; 32],
    /// The name was found taken by our own creation and is being loaded again.
    reloading: bool,
    /// `None` once the login ended (the job is dropped then).
    stage: Option<Stage>,
    started_ms: u64,
}

/// Where new characters appear: land spots in a square around the first map's centre, found
/// once at start from the world generator (a spot's objects and other characters are checked by
/// the spawn search itself).
#[derive(Debug, Clone)]
pub(crate) struct StartArea {
    pub map: MapId,
    /// Walkable tile centres (1/256 tile) sampled every [`LAND_STEP`] tiles.
    pub land: Arc<Vec<(i32, i32)>>,
    /// The vitals rules a new character starts rested by.
    pub stats: crate::content::StatRules,
}

/// Spacing of the sampled land spots, in tiles.
pub const LAND_STEP: i32 = 3;
/// The start area widens until it holds this many land spots.
pub const MIN_SPOTS: usize = 16;

impl LoginJob {
    /// Starts loading the player by name.
    pub(crate) fn start(
        conn: ConnId,
        name: String,
        token: [u8; 32],
        store: &Store,
        now_ms: u64,
    ) -> Result<Self, String> {
        let name = names::normalize(&name)?;
        let pending = store.loader().load_player_by_name(&name).map_err(|e| e.to_string())?;
        let stage = Some(Stage::Loading(pending));
        Ok(Self { conn, name, presented: token, reloading: false, stage, started_ms: now_ms })
    }

    /// Advances the login by what the store answered since the last tick.
    pub(crate) fn step(&mut self, store: &Store, ids: &mut Ids, area: &StartArea, now_ms: u64) -> Step {
        if now_ms.saturating_sub(self.started_ms) > LOGIN_TIMEOUT_MS {
            return Step::Refuse(close::TRY_LATER, "storage did not answer in time; try again".into());
        }
        let (next, step) = match self.stage.take() {
            Some(Stage::Loading(p)) => self.loaded(p),
            Some(Stage::Creating { token, hash }) => self.create(store, ids, area, token, hash, now_ms),
            Some(Stage::Storing { record, token, created, kit }) => {
                self.stored(store, record, token, created, kit)
            }
            None => (None, Step::Refuse(close::TRY_LATER, "the login already ended".into())),
        };
        self.stage = next;
        step
    }

    fn loaded(&mut self, pending: Pending<Option<PlayerLoad>>) -> (Option<Stage>, Step) {
        let Some(result) = pending.try_take() else { return (Some(Stage::Loading(pending)), Step::Wait) };
        let load = match result {
            Ok(load) => load,
            Err(e) => return (None, Step::Refuse(close::TRY_LATER, format!("cannot load the player: {e}"))),
        };
        let stored = load.as_ref().map(|l| l.player.token_hash.as_slice());
        match check_login(stored, &self.presented) {
            Ok(Login::Returning) => {
                let (record, items) = load.map(|l| (l.player, l.items)).unwrap_or_default();
                (None, Step::Verified { record, items, token: self.presented, started_ms: self.started_ms })
            }
            Ok(Login::New { .. }) if self.reloading => {
                (None, Step::Refuse(close::TRY_LATER, "the name was taken, then vanished; try again".into()))
            }
            Ok(Login::New { token, hash }) => match names::check_new(&self.name) {
                Ok(()) => {
                    self.presented = token.0;
                    (Some(Stage::Creating { token, hash }), Step::Wait)
                }
                Err(why) => (None, Step::Refuse(close::BAD_NAME, why)),
            },
            Err(LoginError::WrongToken) if self.reloading => {
                (None, Step::Refuse(close::WRONG_TOKEN, "this name was just taken by another player".into()))
            }
            Err(LoginError::WrongToken) => {
                (None, Step::Refuse(close::WRONG_TOKEN, LoginError::WrongToken.to_string()))
            }
            Err(e) => (None, Step::Refuse(close::TRY_LATER, e.to_string())),
        }
    }

    fn create(
        &self,
        store: &Store,
        ids: &mut Ids,
        area: &StartArea,
        token: SessionToken,
        hash: [u8; 32],
        now_ms: u64,
    ) -> (Option<Stage>, Step) {
        let Some((player, items)) = ids.take_new_player(store) else {
            return (Some(Stage::Creating { token, hash }), Step::Wait);
        };
        let (x, y) = area.pick(player as u64 ^ now_ms);
        let map = area.map;
        let mut record = PlayerRecord {
            id: player,
            name: self.name.clone(),
            token_hash: hash.to_vec(),
            map,
            pos: store::Position { x, y },
            ..PlayerRecord::default()
        };
        crate::stats::new_character(&mut record, &area.stats);
        let kit = starter_kit(player, &items);
        let records = kit_records(&kit);
        match store.writer().create_player(record.clone(), kit) {
            Ok(created) => (Some(Stage::Storing { record, token, created, kit: records }), Step::Wait),
            Err(e) => (None, Step::Refuse(close::TRY_LATER, format!("cannot store: {e}"))),
        }
    }

    /// Waits for the creation; a taken name loads the player again to check the token.
    fn stored(
        &mut self,
        store: &Store,
        record: PlayerRecord,
        token: SessionToken,
        created: Ticket,
        kit: Vec<ItemRecord>,
    ) -> (Option<Stage>, Step) {
        match created.try_take() {
            None => (Some(Stage::Storing { record, token, created, kit }), Step::Wait),
            Some(Ok(())) => {
                let started_ms = self.started_ms;
                (None, Step::Verified { record, items: kit, token: token.0, started_ms })
            }
            Some(Err(StoreError::NameTaken(_))) if !self.reloading => {
                self.reloading = true;
                match store.loader().load_player_by_name(&self.name) {
                    Ok(pending) => (Some(Stage::Loading(pending)), Step::Wait),
                    Err(e) => (None, Step::Refuse(close::TRY_LATER, format!("cannot load the player: {e}"))),
                }
            }
            Some(Err(e)) => {
                (None, Step::Refuse(close::TRY_LATER, format!("cannot store the new player: {e}")))
            }
        }
    }
}

/// The item records a starter kit creates.
fn kit_records(kit: &ItemTx) -> Vec<ItemRecord> {
    kit.ops.iter().filter_map(|op| if let ItemOp::Put(r) = op { Some(*r) } else { None }).collect()
}

fn starter_kit(player: i64, ids: &[i64]) -> ItemTx {
    let ops = STARTER_KIT
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(slot, (&(kind, count), &id))| {
            let container = Container::Player(player);
            let quality = *STARTER_QUALITY;
            ItemOp::Put(ItemRecord { id, kind, quality, count, container, slot: slot as u32 })
        })
        .collect();
    ItemTx::new("starter kit", ops)
}

impl StartArea {
    /// Samples the land within `radius` tiles of the map's centre, widening the square until it
    /// holds at least [`MIN_SPOTS`] spots (every chunk it touches is generated: this runs once,
    /// at start, never on the tick).
    pub(crate) fn new(map: &MapGeometry, worldgen: &WorldGen, content: &Content, radius: i32) -> Self {
        let (x0, y0, x1, y1) = map.walkable();
        let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
        let mut r = radius.max(1).saturating_mul(TILE);
        loop {
            let rect = (
                (cx - r).clamp(x0, x1),
                (cy - r).clamp(y0, y1),
                (cx + r).clamp(x0, x1),
                (cy + r).clamp(y0, y1),
            );
            let land = land_in(map, worldgen, content, rect);
            let whole_map = rect == (x0, y0, x1, y1);
            if land.len() >= MIN_SPOTS || whole_map {
                let land = if land.is_empty() { vec![(cx, cy)] } else { land };
                return Self { map: map.id, land: Arc::new(land), stats: content.stats };
            }
            r = r.saturating_mul(2);
        }
    }

    /// A reproducible land spot for `seed`.
    pub(crate) fn pick(&self, seed: u64) -> (i32, i32) {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        s ^= s >> 29;
        s = s.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        s ^= s >> 32;
        self.land[(s % self.land.len() as u64) as usize]
    }

    /// A spawn search starting at a land spot of the area.
    pub(crate) fn spawner(&self, seed: u64) -> Spawner {
        let (x, y) = self.pick(seed);
        Spawner::new(self.map, x, y, seed)
    }
}

/// Walkable sample spots inside a rectangle `(left, top, right, bottom)`.
fn land_in(
    map: &MapGeometry,
    worldgen: &WorldGen,
    content: &Content,
    rect: (i32, i32, i32, i32),
) -> Vec<(i32, i32)> {
    let mut land = Vec::new();
    let chunks = |a: i32, b: i32| (a >> CHUNK_SHIFT)..=(b >> CHUNK_SHIFT);
    for gy in chunks(rect.1, rect.3) {
        for gx in chunks(rect.0, rect.2) {
            let chunk = worldgen.generate(map, gx, gy);
            sample_land(&chunk.tiles, (gx, gy), content, rect, &mut land);
        }
    }
    land
}

/// Adds the walkable sample points of one generated chunk inside the rectangle.
fn sample_land(
    tiles: &store::ChunkTiles,
    (gx, gy): (i32, i32),
    content: &Content,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    land: &mut Vec<(i32, i32)>,
) {
    for ly in (1..CHUNK_TILES - 1).step_by(LAND_STEP as usize) {
        for lx in (1..CHUNK_TILES - 1).step_by(LAND_STEP as usize) {
            let (x, y) =
                ((gx * CHUNK_TILES + lx) * TILE + TILE / 2, (gy * CHUNK_TILES + ly) * TILE + TILE / 2);
            if x < x0 || x > x1 || y < y0 || y > y1 {
                continue;
            }
            // The tile and its four neighbours must be walkable, so a character fits.
            let open = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)].iter().all(|&(dx, dy)| {
                let t = tiles.terrain[store::ChunkTiles::index((lx + dx) as usize, (ly + dy) as usize)];
                !content.blocks(t)
            });
            if open {
                land.push((x, y));
            }
        }
    }
}

/// The id pools logins draw from.
#[derive(Debug)]
pub(crate) struct Ids {
    players: IdPool,
    items: IdPool,
}

impl Ids {
    pub(crate) fn new() -> Self {
        Self { players: IdPool::new(IdKind::Player), items: IdPool::new(IdKind::Item) }
    }

    /// A player id and the starter kit's item ids, or `None` while blocks are being fetched.
    fn take_new_player(&mut self, store: &Store) -> Option<(i64, Vec<i64>)> {
        let loader = store.loader();
        // Check both first so no id is taken while the other kind is still being fetched.
        if self.players.available(loader) < 1 || self.items.available(loader) < STARTER_KIT.len() {
            return None;
        }
        let player = self.players.take(loader, 1)?;
        let items = self.items.take(loader, STARTER_KIT.len())?;
        Some((player[0], items))
    }
}

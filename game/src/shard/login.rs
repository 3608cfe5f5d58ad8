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
use crate::session::{Login, LoginError, SessionToken, check_login, token_hash};
use crate::spawn::Spawner;
use crate::worldgen::WorldGen;
use net::ConnId;
use std::sync::{Arc, LazyLock};
use store::{
    Acceptance, Container, HandoffToken, IdKind, ItemOp, ItemRecord, ItemTx, LoginLoad, MapId, Pending,
    PlayerLoad, PlayerRecord, Refusal, SaveSeq, Store, StoreError, Ticket,
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
    /// Waiting for the login's first answer: the presented token tried as a hand-off token, and
    /// unless accepted, the player by name (`Loader::login`, one round trip).
    First(Pending<LoginLoad>),
    /// Waiting for the player row by name (again, after our own creation found the name taken).
    Loading(Pending<Option<PlayerLoad>>),
    /// A new name: waiting for ids.
    Creating { token: SessionToken, hash: [u8; 32] },
    /// New record and starter items submitted in one creation: waiting until it is durable.
    Storing { record: PlayerRecord, token: SessionToken, created: Ticket, kit: Vec<ItemRecord> },
    /// The token is not the name's session token: waiting for the store to accept it as a
    /// one-time hand-off token for this shard.
    Accepting(Pending<Acceptance>),
}

/// A verified login, on its way to a claim of the character and a spawn spot.
#[derive(Debug)]
pub(crate) struct Verified {
    pub conn: ConnId,
    pub record: PlayerRecord,
    /// The player's stored items (flat), as of a load started at `started_ms`.
    pub items: Vec<ItemRecord>,
    /// The session token Welcome returns and a Redirect passes on; zeros after a hand-off
    /// (this shard never sees the client's own token then; the client keeps it).
    pub token: [u8; 32],
    pub started_ms: u64,
    /// The claim a hand-off acceptance gave the character here (`n` 0: no save yet); `None`:
    /// the shard claims it next.
    pub claim: Option<SaveSeq>,
}

/// What a login needs of the shard besides the store.
#[derive(Debug)]
pub(crate) struct LoginCtx<'a> {
    pub store: &'a Store,
    /// This shard's id (hand-off tokens name the shard that may accept them).
    pub shard: &'a str,
    pub area: &'a StartArea,
    /// The shard's clock (login deadlines).
    pub now_ms: u64,
    /// Milliseconds since the Unix epoch (hand-off token expiry).
    pub unix_ms: i64,
    /// Crash tests only (`ShardOptions::test_pause`).
    pub test_pause: Option<(super::moving::HandoffStep, std::time::Duration)>,
}

/// What a login step led to.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing yet; step again next tick.
    Wait,
    /// Refuse the connection with this close code and reason.
    Refuse(u16, String),
    /// The player is who it claims to be.
    Verified(Verified),
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
    /// The store's answer to the presented token tried as a hand-off token in the first request
    /// (a session token or a new name's token matches no hand-off and changes nothing), kept
    /// for when the token turns out not to be the name's session token. An arrival by hand-off
    /// so waits for one round trip, not two.
    early: Option<Result<Acceptance, StoreError>>,
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
    /// Starts the login: for a non-zero token, trying it as a hand-off token for `shard` (at
    /// `unix_ms`), and unless accepted, loading the player by name.
    pub(crate) fn start(
        (conn, name, token): (ConnId, String, [u8; 32]),
        (store, shard): (&Store, &str),
        (now_ms, unix_ms): (u64, i64),
    ) -> Result<Self, String> {
        let name = names::normalize(&name)?;
        let handoff = (token != [0; 32]).then(|| HandoffToken {
            hash: token_hash(&SessionToken(token)).to_vec(),
            shard: shard.to_owned(),
            now_ms: unix_ms,
        });
        let pending = store.loader().login(&name, handoff).map_err(|e| e.to_string())?;
        let stage = Some(Stage::First(pending));
        Ok(Self { conn, name, presented: token, reloading: false, stage, started_ms: now_ms, early: None })
    }

    /// The login's first answer: an accepted hand-off ends it, else the load by name goes on
    /// (the token's answer kept).
    fn first(&mut self, pending: Pending<LoginLoad>, ctx: &LoginCtx<'_>) -> (Option<Stage>, Step) {
        match pending.try_take() {
            None => (Some(Stage::First(pending)), Step::Wait),
            Some(Ok(LoginLoad::HandedOff(accepted))) => self.acceptance(Ok(accepted), ctx),
            Some(Ok(LoginLoad::ByName { load, handoff })) => {
                self.early = handoff;
                self.on_load(load, ctx)
            }
            Some(Err(e)) => (None, Step::Refuse(close::TRY_LATER, format!("cannot load the player: {e}"))),
        }
    }

    /// Advances the login by what the store answered since the last tick.
    pub(crate) fn step(&mut self, ctx: &LoginCtx<'_>, ids: &mut Ids) -> Step {
        if ctx.now_ms.saturating_sub(self.started_ms) > LOGIN_TIMEOUT_MS {
            return Step::Refuse(close::TRY_LATER, "storage did not answer in time; try again".into());
        }
        let (next, step) = match self.stage.take() {
            Some(Stage::First(p)) => self.first(p, ctx),
            Some(Stage::Loading(p)) => self.loaded(p, ctx),
            Some(Stage::Creating { token, hash }) => {
                self.create(ctx.store, ids, ctx.area, token, hash, ctx.now_ms)
            }
            Some(Stage::Storing { record, token, created, kit }) => {
                self.stored(ctx.store, record, token, created, kit)
            }
            Some(Stage::Accepting(p)) => self.accepted(p, ctx),
            None => (None, Step::Refuse(close::TRY_LATER, "the login already ended".into())),
        };
        self.stage = next;
        step
    }

    /// A login verified by its session token (or created).
    fn verified(&self, record: PlayerRecord, items: Vec<ItemRecord>, token: [u8; 32]) -> Step {
        let (conn, started_ms) = (self.conn, self.started_ms);
        Step::Verified(Verified { conn, record, items, token, started_ms, claim: None })
    }

    /// A token that is not the name's session token may be a one-time hand-off token for this
    /// shard: the store accepts it (once) and claims the character here.
    fn try_handoff(&mut self, ctx: &LoginCtx<'_>) -> (Option<Stage>, Step) {
        if let Some(answer) = self.early.take() {
            return self.acceptance(answer, ctx);
        }
        let hash = token_hash(&SessionToken(self.presented)).to_vec();
        match ctx.store.loader().accept_handoff(hash, ctx.shard, ctx.unix_ms) {
            Ok(pending) => (Some(Stage::Accepting(pending)), Step::Wait),
            Err(e) => (None, Step::Refuse(close::TRY_LATER, format!("cannot check the token: {e}"))),
        }
    }

    /// The store's answer to a hand-off token.
    fn accepted(&mut self, pending: Pending<Acceptance>, ctx: &LoginCtx<'_>) -> (Option<Stage>, Step) {
        match pending.try_take() {
            Some(result) => self.acceptance(result, ctx),
            None => (Some(Stage::Accepting(pending)), Step::Wait),
        }
    }

    /// What the store's answer to a hand-off token leads to.
    fn acceptance(
        &self,
        result: Result<Acceptance, StoreError>,
        ctx: &LoginCtx<'_>,
    ) -> (Option<Stage>, Step) {
        match result {
            Ok(Acceptance::Accepted { load, claim }) => {
                super::moving::test_pause(ctx.test_pause, super::moving::HandoffStep::Accepted);
                let PlayerLoad { player: record, items, .. } = *load;
                if record.name != self.name {
                    // A token is for one character: presented under another name it proves nothing.
                    let why = "the hand-off token was issued for another name";
                    return (None, Step::Refuse(close::HANDOFF_REFUSED, why.into()));
                }
                let (conn, started_ms) = (self.conn, self.started_ms);
                let claim = Some(SaveSeq { claim, n: 0 });
                (None, Step::Verified(Verified { conn, record, items, token: [0; 32], started_ms, claim }))
            }
            Ok(Acceptance::Refused(Refusal::Unknown)) => {
                (None, Step::Refuse(close::WRONG_TOKEN, LoginError::WrongToken.to_string()))
            }
            Ok(Acceptance::Refused(r)) => (None, Step::Refuse(close::HANDOFF_REFUSED, refusal_text(&r))),
            Err(e) => (None, Step::Refuse(close::TRY_LATER, format!("cannot check the token: {e}"))),
        }
    }

    fn loaded(&mut self, pending: Pending<Option<PlayerLoad>>, ctx: &LoginCtx<'_>) -> (Option<Stage>, Step) {
        match pending.try_take() {
            Some(result) => self.on_load(result, ctx),
            None => (Some(Stage::Loading(pending)), Step::Wait),
        }
    }

    /// The player loaded by name: a returning player whose token matches, a new name, or a
    /// token to try as a hand-off token.
    fn on_load(
        &mut self,
        result: Result<Option<PlayerLoad>, StoreError>,
        ctx: &LoginCtx<'_>,
    ) -> (Option<Stage>, Step) {
        let load = match result {
            Ok(load) => load,
            Err(e) => return (None, Step::Refuse(close::TRY_LATER, format!("cannot load the player: {e}"))),
        };
        let stored = load.as_ref().map(|l| l.player.token_hash.as_slice());
        match check_login(stored, &self.presented) {
            Ok(Login::Returning) => {
                let (record, items) = load.map(|l| (l.player, l.items)).unwrap_or_default();
                (None, self.verified(record, items, self.presented))
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
            Err(LoginError::WrongToken) => self.try_handoff(ctx),
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
            Some(Ok(())) => (None, self.verified(record, kit, token.0)),
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

/// The client's text for a refused hand-off token.
fn refusal_text(r: &Refusal) -> String {
    let why = match r {
        Refusal::Unknown => "it was never issued",
        Refusal::Used => "it was used already",
        Refusal::Cancelled => "the source shard took the character back",
        Refusal::Expired => "it expired",
        Refusal::OtherShard { .. } => "it is for another shard",
        Refusal::StillLive { .. } => "the character is playing on another shard",
    };
    format!("hand-off token refused: {why}; log in again with your session token")
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

    /// A reproducible land spot for `seed` (mixed by world generation's hash).
    pub(crate) fn pick(&self, seed: u64) -> (i32, i32) {
        let s = crate::worldgen::hash(seed, 0, 0);
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
            let terrain =
                |lx: i32, ly: i32| tiles.terrain[store::ChunkTiles::index(lx as usize, ly as usize)];
            if crate::worldgen::fits_on(content, terrain, lx, ly) {
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

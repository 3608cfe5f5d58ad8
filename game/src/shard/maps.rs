//! The maps this shard simulates, each a [`MapSim`] with its [`Replicator`], and the spawner's
//! view of them: every map here is local, any other map belongs to another shard. Maps start
//! and stop while the shard runs (a lease gained or lost, `lease/`): [`Maps::start`] builds one
//! as at boot (its chunks load from the store as clients come near), [`Maps::stop`] drops one
//! without saving anything of it.

use crate::chat::MapChat;
use crate::content::Content;
use crate::error::GameError;
use crate::gameplay::bots::{BotLoop, BotMix};
use crate::gameplay::{self, items::MapItems};
use crate::geom::{MapGeometry, WorldLayout};
use crate::replicate::{ReplicationConfig, Replicator};
use crate::sim::{MapSim, SimConfig, SimParts};
use crate::spawn::{Probe, SpawnDecision, SpawnWorld, Spawner};
use crate::worldgen::WorldGen;
use engine::ResourceKey;
use std::sync::Arc;
use store::{Fence, MapId, Store};

/// How far [`Maps::land_near`] looks for land, in tiles (`WorldGen::land_near`: every tile up
/// to 8 tiles away, then coarser rings; about 2,400 tiles at most, most one terrain lookup).
pub(crate) const LAND_SEARCH_TILES: i32 = 64;

/// The simulation settings of every map this shard runs.
pub(crate) fn sim_config() -> SimConfig {
    SimConfig::default()
}

/// What the browser client needs of `content` (`/content.json`) for maps ticking at `tick_hz`
/// with this shard's simulation settings.
pub fn client_content(content: &Content, tick_hz: u32) -> serde_json::Value {
    let sim = sim_config();
    let params = crate::content::ClientParams {
        tick_hz,
        stuck_ticks: sim.stuck_ticks,
        follow_range: sim.follow_range,
    };
    crate::content::client_json(content, params)
}

/// One simulated map and its clients' views.
#[derive(Debug)]
pub(crate) struct MapRuntime {
    /// The simulation.
    pub sim: MapSim,
    /// Interest management and frames for the clients on this map.
    pub view: Replicator,
    /// The map's items (the items feature's resource in `sim`).
    pub items: ResourceKey<MapItems>,
    /// The map's bots playing the loop (the bot loop's resource in `sim`).
    pub bots: ResourceKey<BotLoop>,
    /// The map's local chat (its listeners are a column of `sim`).
    pub chat: MapChat,
    /// The map's ownership epoch in the database: every write of the map carries it.
    pub fence: Fence,
}

/// Every map this shard simulates now.
#[derive(Debug)]
pub(crate) struct Maps {
    /// The maps, in the order they started.
    pub list: Vec<MapRuntime>,
    /// The world's layout (all continents and layers, local or not).
    pub layout: WorldLayout,
    /// What a map is built from.
    build: MapBuild,
    /// The world's generator (every shard of a world shares the seed): where land lies on any
    /// map, local or not.
    pub worldgen: WorldGen,
}

/// What every map of the shard is built from.
#[derive(Debug)]
struct MapBuild {
    content: Arc<Content>,
    seed: u64,
    tick_hz: u32,
    bot_mix: BotMix,
    store: Arc<Store>,
    replication: ReplicationConfig,
}

impl Maps {
    /// No map yet; [`Maps::start`] builds them, ticking at `tick_hz`.
    pub(crate) fn new(
        content: &Arc<Content>,
        (seed, tick_hz, bot_mix): (u64, u32, BotMix),
        store: &Arc<Store>,
        replication: ReplicationConfig,
    ) -> Result<Self, GameError> {
        let layout = WorldLayout::from_content(content);
        let worldgen = WorldGen::new(content, seed)?;
        let build =
            MapBuild { content: content.clone(), seed, tick_hz, bot_mix, store: store.clone(), replication };
        Ok(Self { list: Vec::new(), layout, build, worldgen })
    }

    /// Where a character handed to map `to` at `at` lands: the nearest spot within
    /// [`LAND_SEARCH_TILES`] whose generated terrain it fits on (so a move to "the same place" on
    /// another map does not start its spawn search in a lake), else `at` itself.
    pub(crate) fn land_near(&self, to: &MapGeometry, at: (i32, i32)) -> (i32, i32) {
        self.worldgen.land_near(&self.build.content, to, at, LAND_SEARCH_TILES).unwrap_or(at)
    }

    /// Builds map `id`'s simulation, every write of it (chunk saves, item transactions) fenced by
    /// `fence`, and adds it; returns its index.
    pub(crate) fn start(&mut self, id: MapId, fence: Fence) -> Result<usize, GameError> {
        let b = &self.build;
        let map = *self.layout.map(id).ok_or(GameError::UnknownMap(id))?;
        let parts = SimParts {
            content: b.content.clone(),
            map,
            seed: b.seed,
            store: b.store.clone(),
            config: sim_config(),
        };
        let mut sim = MapSim::new(parts)?;
        sim.set_fence(fence);
        let items = gameplay::items::install(&mut sim, b.store.clone())?;
        sim.world.resource_mut(items).set_fence(fence);
        gameplay::growth::install(&mut sim)?;
        let bots = gameplay::bots::install(&mut sim, items, b.bot_mix)?;
        let chat = MapChat::install(&mut sim, b.tick_hz)?;
        let view = Replicator::new(id, b.replication);
        self.list.push(MapRuntime { sim, view, items, bots, chat, fence });
        Ok(self.list.len() - 1)
    }

    /// Removes map `index` and stops its chunk service; nothing of it is saved. The maps after
    /// it move down one index.
    pub(crate) fn stop(&mut self, index: usize) {
        let mut gone = self.list.remove(index);
        gone.sim.stop_chunk_service();
    }

    /// The items of map `index`.
    pub(crate) fn items(&self, index: usize) -> impl std::ops::DerefMut<Target = MapItems> + '_ {
        let m = &self.list[index];
        m.sim.world.resource_mut(m.items)
    }

    /// Index of a local map.
    pub(crate) fn index_of(&self, map: MapId) -> Option<usize> {
        self.list.iter().position(|m| m.sim.geometry().id == map)
    }

    /// Advances a spawn search; `save` stores the position before a hand-off.
    pub(crate) fn spawn_step(
        &mut self,
        spawner: &mut Spawner,
        save: &mut dyn FnMut(MapId, i32, i32) -> Result<(), String>,
    ) -> SpawnDecision {
        let mut world = ShardSpawn { maps: &mut self.list, save };
        spawner.step(&self.layout, &mut world)
    }
}

/// The spawner's view of the shard's maps.
struct ShardSpawn<'a> {
    maps: &'a mut [MapRuntime],
    save: &'a mut dyn FnMut(MapId, i32, i32) -> Result<(), String>,
}

impl SpawnWorld for ShardSpawn<'_> {
    fn is_local(&self, map: MapId) -> bool {
        self.maps.iter().any(|m| m.sim.geometry().id == map)
    }

    fn probe(&mut self, map: MapId, x: i32, y: i32) -> Probe {
        match self.maps.iter_mut().find(|m| m.sim.geometry().id == map) {
            Some(m) => m.sim.probe(x, y),
            None => Probe::Blocked,
        }
    }

    fn save_position(&mut self, map: MapId, x: i32, y: i32) -> Result<(), String> {
        (self.save)(map, x, y)
    }
}

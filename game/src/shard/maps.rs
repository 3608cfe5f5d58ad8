//! The maps this shard simulates, each a [`MapSim`] with its [`Replicator`], and the spawner's
//! view of them: every map here is local, any other map belongs to another shard.

use crate::chat::MapChat;
use crate::content::Content;
use crate::error::GameError;
use crate::gameplay::bots::{BotLoop, BotMix};
use crate::gameplay::{self, items::MapItems};
use crate::geom::WorldLayout;
use crate::replicate::{ReplicationConfig, Replicator};
use crate::sim::{MapSim, SimConfig, SimParts};
use crate::spawn::{Probe, SpawnDecision, SpawnWorld, Spawner};
use engine::ResourceKey;
use std::sync::Arc;
use store::{MapId, Store};

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
}

/// Every map of this shard.
#[derive(Debug)]
pub(crate) struct Maps {
    /// The maps, in the order given at start.
    pub list: Vec<MapRuntime>,
    /// The world's layout (all continents and layers, local or not).
    pub layout: WorldLayout,
}

impl Maps {
    /// Builds a simulation per map id, ticking at `tick_hz`.
    pub(crate) fn new(
        ids: &[MapId],
        content: &Arc<Content>,
        (seed, tick_hz, bot_mix): (u64, u32, BotMix),
        store: &Arc<Store>,
        replication: ReplicationConfig,
    ) -> Result<Self, GameError> {
        let layout = WorldLayout::from_content(content);
        let mut list = Vec::with_capacity(ids.len());
        for &id in ids {
            let map = *layout.map(id).ok_or(GameError::UnknownMap(id))?;
            let parts =
                SimParts { content: content.clone(), map, seed, store: store.clone(), config: sim_config() };
            let mut sim = MapSim::new(parts)?;
            let items = gameplay::items::install(&mut sim, store.clone())?;
            gameplay::growth::install(&mut sim)?;
            let bots = gameplay::bots::install(&mut sim, items, bot_mix)?;
            let chat = MapChat::install(&mut sim, tick_hz)?;
            list.push(MapRuntime { sim, view: Replicator::new(id, replication), items, bots, chat });
        }
        Ok(Self { list, layout })
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

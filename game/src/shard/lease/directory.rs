//! Who owns every map: the owning shard's id and public address, refreshed by the metadata worker
//! each heartbeat and read by the tick to redirect a client whose map is simulated elsewhere
//! (a read under a lock held only to copy a string, never a metadata call on the tick).

use std::collections::HashMap;
use std::sync::RwLock;
use store::MapId;
use store::meta::MetaStore;

/// A map's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The shard's id.
    pub shard: String,
    /// Where clients reach it (a WebSocket URL).
    pub addr: String,
}

/// The owners of other shards' maps, as of the last heartbeat.
#[derive(Debug, Default)]
pub struct Directory(RwLock<HashMap<MapId, Owner>>);

impl Directory {
    /// The live owner of `map` other than this shard, as last seen.
    pub fn owner(&self, map: MapId) -> Option<Owner> {
        self.0.read().ok()?.get(&map).cloned()
    }

    /// Looks the owners of `maps` up in the store (skipping `me`) and replaces the directory.
    /// A failed lookup keeps the previous entries.
    pub(crate) fn refresh(&self, meta: &dyn MetaStore, me: &str, maps: &[MapId]) {
        let mut found = HashMap::new();
        for &map in maps {
            match Self::try_lookup(meta, map, me) {
                Ok(Some(owner)) => {
                    found.insert(map, owner);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(map, error = %e, "cannot refresh the map directory");
                    return;
                }
            }
        }
        if let Ok(mut d) = self.0.write() {
            *d = found;
        }
    }

    /// The live owner of `map` other than `me`, asked of the store now.
    pub(crate) fn lookup(meta: &dyn MetaStore, map: MapId, me: &str) -> Option<Owner> {
        Self::try_lookup(meta, map, me).ok().flatten()
    }

    fn try_lookup(meta: &dyn MetaStore, map: MapId, me: &str) -> Result<Option<Owner>, store::StoreError> {
        let Some(shard) = meta.map_owner(map)? else { return Ok(None) };
        if shard == me {
            return Ok(None);
        }
        Ok(meta.get_shard(&shard)?.map(|info| Owner { shard, addr: info.addr }))
    }
}

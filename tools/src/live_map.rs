//! The operators' live map on the admin port: the page (`/map`, its files under `/map/`), and
//! what it polls, built from the pictures and the status the tick publishes once a second
//! (`game::shard::MapBoard`, `StatusBoard`), never from the simulation itself.
//!
//! - `/map/state`: JSON, compact (numbers in flat arrays, not an object per character):
//!   `{tick, paint_ms, panel: {...}, maps: [{id, width_chunks, height_chunks, chunks:
//!   [cx, cy, mark, ...], characters: [id, x, y, flags, ...], total}], player_fields,
//!   players: [[entity, name, map, x, y, down_bps, up_bps], ...], players_total}`. Positions in
//!   tiles; chunk marks and character flags as `game::shard::{ChunkMark, dot}` say. At most
//!   `MapPicture::MAX_DOTS` characters and `MAX_PLAYERS` players are listed; the totals count all.
//! - `/map/terrain?map=M&cx=X&cy=Y`: the chunk's terrain thumbnail, `application/octet-stream`,
//!   `THUMB_SIDE`² (32 × 32) bytes row by row, each the terrain id at its cell's centre (ids
//!   above 255 read 255); 404 when the chunk is not in memory.
//! - `/map/player?id=E`: one player (`E` the character's wire id): name, entity, map, position,
//!   peer address, seconds connected, bytes per second down and up; 404 when not online.

use crate::admin::{Answer, query_value};
use crate::web;
use game::shard::{MapBoard, MapPicture, PlayerView, ShardStatus, StatusBoard};
use serde_json::{Value, json};
use std::sync::Arc;

/// The live map's data sources.
#[derive(Debug, Clone)]
pub struct LiveMap {
    status: Arc<StatusBoard>,
    board: Arc<MapBoard>,
}

/// Names of the numbers of each entry of `players` in `/map/state`.
pub const PLAYER_FIELDS: [&str; 7] = ["entity", "name", "map", "x", "y", "down_bps", "up_bps"];

impl LiveMap {
    /// The live map over the boards the shard publishes on.
    pub fn new(status: Arc<StatusBoard>, board: Arc<MapBoard>) -> Self {
        Self { status, board }
    }

    /// Answers `path` (`/map...`) with `query`.
    pub fn answer(&self, path: &str, query: &str) -> Answer {
        match path {
            "/map" | "/map/" => page("index.html"),
            "/map/state" => {
                let doc = state(&self.board.picture(), &self.status.snapshot());
                Answer::ok("application/json", doc.to_string().into_bytes())
            }
            "/map/terrain" => self.terrain(query),
            "/map/player" => self.player(query),
            _ => page(path.trim_start_matches("/map/")),
        }
    }

    fn terrain(&self, query: &str) -> Answer {
        let number = |key| query_value(query, key).and_then(|v| v.parse::<i64>().ok());
        let (Some(map), Some(cx), Some(cy)) = (number("map"), number("cx"), number("cy")) else {
            return Answer::text(400, "usage: /map/terrain?map=M&cx=X&cy=Y");
        };
        let (Ok(map), Ok(cx), Ok(cy)) = (u32::try_from(map), i32::try_from(cx), i32::try_from(cy)) else {
            return Answer::text(404, "no such chunk");
        };
        match self.board.thumbnail(map, cx, cy) {
            Some(thumb) => Answer::ok("application/octet-stream", thumb.to_vec()),
            None => Answer::text(404, "chunk not in memory"),
        }
    }

    fn player(&self, query: &str) -> Answer {
        let Some(id) = query_value(query, "id").and_then(|v| v.parse::<u64>().ok()) else {
            return Answer::text(400, "usage: /map/player?id=<entity>");
        };
        let picture = self.board.picture();
        match picture.players.iter().find(|p| p.entity == id) {
            Some(p) => Answer::ok("application/json", player_details(p).to_string().into_bytes()),
            None => Answer::text(404, "no such player online"),
        }
    }
}

/// An embedded map page file, or 404.
fn page(name: &str) -> Answer {
    match web::map_file(name) {
        Some(bytes) => Answer::ok(web::content_type(name), bytes.to_vec()),
        None => Answer::text(404, "no such file"),
    }
}

/// Position in tiles, to 1/100 tile.
fn tiles(units: i32) -> f64 {
    (f64::from(units) / 2.56).round() / 100.0
}

/// The `/map/state` document.
pub fn state(picture: &MapPicture, s: &ShardStatus) -> Value {
    let ms = |us: u64| us as f64 / 1000.0;
    let mut loading = 0;
    let mut saving = 0;
    let maps: Vec<Value> = picture
        .maps
        .iter()
        .map(|m| {
            let mut chunks = Vec::with_capacity(m.chunks.len() * 3);
            for &(cx, cy, mark) in &m.chunks {
                loading += usize::from(mark == game::shard::ChunkMark::Loading);
                saving += usize::from(mark == game::shard::ChunkMark::Saving);
                chunks.extend([cx, cy, mark as i32]);
            }
            json!({
                "id": m.map,
                "width_chunks": m.width_chunks,
                "height_chunks": m.height_chunks,
                "chunks": chunks,
                "characters": m.dots,
                "total": m.characters,
            })
        })
        .collect();
    let players: Vec<Value> = picture
        .players
        .iter()
        .map(|p| {
            json!([p.entity, p.name, p.map, tiles(p.x), tiles(p.y), p.down_bps.round(), p.up_bps.round()])
        })
        .collect();
    json!({
        "tick": picture.tick,
        "paint_ms": picture.paint_s * 1000.0,
        "panel": {
            "tick_p50_ms": ms(s.tick_window.p50_us),
            "tick_p99_ms": ms(s.tick_window.p99_us),
            "tick_hz": s.tick_hz,
            "clients": s.maps.iter().map(|m| m.clients).sum::<u64>(),
            "players": s.players,
            "bots": s.bots,
            "entities": s.maps.iter().map(|m| m.characters).sum::<u64>(),
            "storage_queue": s.writer.queue_depth,
            "chunks_resident": s.maps.iter().map(|m| m.chunks.resident).sum::<u64>(),
            "chunks_loading": loading,
            "chunks_saving": saving,
        },
        "maps": maps,
        "player_fields": PLAYER_FIELDS,
        "players": players,
        "players_total": picture.player_count,
    })
}

/// The `/map/player` document.
pub fn player_details(p: &PlayerView) -> Value {
    json!({
        "name": p.name,
        "entity": p.entity,
        "map": p.map,
        "x": tiles(p.x),
        "y": tiles(p.y),
        "peer": p.peer,
        "connected_s": p.connected_s,
        "down_bps": p.down_bps.round(),
        "up_bps": p.up_bps.round(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::shard::{ChunkMark, MapView};

    fn picture() -> MapPicture {
        let map = MapView {
            map: 1,
            width_chunks: 8,
            height_chunks: 4,
            chunks: vec![(2, 3, ChunkMark::Resident), (3, 3, ChunkMark::Loading), (4, 3, ChunkMark::Saving)],
            dots: vec![7, 300, 400, 0, 9, 301, 401, 1],
            characters: 2,
        };
        let alice = PlayerView {
            name: "alice".into(),
            entity: 7,
            map: 1,
            x: 300 * 256 + 128,
            y: 400 * 256,
            peer: "127.0.0.1:5000".into(),
            connected_s: 12,
            down_bps: 1234.4,
            up_bps: 56.6,
        };
        MapPicture { tick: 99, maps: vec![map], players: vec![alice], player_count: 1, paint_s: 0.0002 }
    }

    #[test]
    fn the_state_is_compact_and_carries_the_panel() {
        let doc = state(&picture(), &ShardStatus { players: 1, ..ShardStatus::default() });
        assert_eq!(doc["tick"], 99);
        let map = &doc["maps"][0];
        assert_eq!(
            (map["id"].clone(), map["width_chunks"].clone(), map["total"].clone()),
            (json!(1), json!(8), json!(2))
        );
        assert_eq!(map["chunks"], json!([2, 3, 0, 3, 3, 2, 4, 3, 3]));
        assert_eq!(map["characters"], json!([7, 300, 400, 0, 9, 301, 401, 1]));
        assert_eq!(doc["players"], json!([[7, "alice", 1, 300.5, 400.0, 1234.0, 57.0]]));
        assert_eq!(
            doc["player_fields"].as_array().unwrap().len(),
            doc["players"][0].as_array().unwrap().len()
        );
        assert_eq!(doc["panel"]["chunks_loading"], 1);
        assert_eq!(doc["panel"]["chunks_saving"], 1);
        assert_eq!(doc["panel"]["players"], 1);
        for key in ["tick_p50_ms", "tick_p99_ms", "clients", "entities", "storage_queue"] {
            assert!(doc["panel"].get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn player_details_and_refusals() {
        let board = Arc::new(MapBoard::default());
        let live = LiveMap::new(Arc::new(StatusBoard::default()), board);
        let doc = player_details(&picture().players[0]);
        assert_eq!((doc["name"].clone(), doc["peer"].clone()), (json!("alice"), json!("127.0.0.1:5000")));
        assert_eq!(live.answer("/map/player", "id=7").code, 404, "nobody online on an empty board");
        assert_eq!(live.answer("/map/player", "").code, 400);
        assert_eq!(live.answer("/map/terrain", "map=1&cx=0&cy=0").code, 404);
        assert_eq!(live.answer("/map/terrain", "map=1").code, 400);
        assert_eq!(live.answer("/map/nope.js", "").code, 404);
        let index = live.answer("/map", "");
        assert_eq!((index.code, index.content_type), (200, "text/html; charset=utf-8"));
    }
}

//! Where the caves are: the place of a cave entrance near the mainland surface's centre, as the
//! world generator puts it for a seed (its way out stands at the same place in the cave below).

use game::Content;
use game::geom::{TILE, map_id};
use game::worldgen::WorldGen;

/// The place (1/256 tile, a tile's centre) of the way down nearest the mainland surface's
/// centre chunk, in the world of `seed`.
pub fn a_way_down(content: &Content, seed: u64) -> (i32, i32) {
    let surface = map_id(0, 0);
    let wg = WorldGen::new(content, seed).expect("the content generates");
    let map = *content.layout().map(surface).expect("the mainland");
    let (cx, cy) = (map.width_chunks / 2, map.height_chunks / 2);
    for r in 0..8 {
        for (dx, dy) in (-r..=r).flat_map(|dx| (-r..=r).map(move |dy| (dx, dy))) {
            if let Some((tx, ty)) = wg.way_down(surface, cx + dx, cy + dy) {
                return (tx * TILE + TILE / 2, ty * TILE + TILE / 2);
            }
        }
    }
    panic!("no cave entrance near the centre");
}

//! Content validation and deterministic world generation for 1 and N threads.

use game::Content;
use game::geom::{MapGeometry, map_id};
use game::worldgen::WorldGen;
use rayon::prelude::*;

#[test]
fn shipped_content_loads() {
    let c = Content::builtin();
    assert!(c.blocks(c.terrain("deep_water").unwrap().id));
    assert!(!c.blocks(c.terrain("grass").unwrap().id));
    assert!(c.object("tree").unwrap().radius > 0);
}

#[test]
fn bad_content_names_the_field() {
    let t = include_str!("../../schemas/content/terrain.toml");
    let w = include_str!("../../schemas/content/world.toml");
    let bad = "[[object]]\nid = 1\nname = \"tree\"\nradius = 9999\n";
    let e = Content::from_strs(t, bad, w).unwrap_err();
    assert!(e.field.contains("radius") && e.file == "objects.toml", "{e}");
    let missing = "[[object]]\nid = 1\nname = \"tree\"\n";
    let e = Content::from_strs(t, missing, w).unwrap_err();
    assert!(e.to_string().contains("radius"), "{e}");
    let unknown = "[[object]]\nid = 1\nname = \"tree\"\nradius = 3\ndensity = { lava = 3 }\n";
    assert!(Content::from_strs(t, unknown, w).unwrap_err().to_string().contains("lava"));
}

fn generate_all(threads: usize) -> Vec<game::worldgen::GeneratedChunk> {
    let gen_ = WorldGen::new(&Content::builtin(), 42).unwrap();
    let map = MapGeometry::new(map_id(0, 0), 4, 4);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| (0..16).into_par_iter().map(|i| gen_.generate(&map, i % 4, i / 4)).collect())
}

#[test]
fn generation_is_deterministic_for_any_thread_count() {
    let one = generate_all(1);
    let many = generate_all(4);
    assert_eq!(one, many);
    let objects: usize = one.iter().map(|c| c.objects.len()).sum();
    assert!(objects > 100, "scattered objects: {objects}");
    let border = 20 * 256;
    for o in one.iter().flat_map(|c| &c.objects) {
        assert!(o.x >= border && o.y >= border && o.x <= 4 * 32768 - border && o.y <= 4 * 32768 - border);
    }
}

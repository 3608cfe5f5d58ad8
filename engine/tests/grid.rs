//! Spatial grid queries checked against brute force on random data, and deterministic order.

use engine::{Entity, GridEntry, Rect, SortedGrid, SpatialGrid};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn brute_radius(points: &BTreeMap<Entity, (i32, i32)>, x: i32, y: i32, r: i32) -> Vec<Entity> {
    let r2 = i64::from(r) * i64::from(r);
    let mut v: Vec<_> = points
        .iter()
        .filter(|(_, (px, py))| {
            let (dx, dy) = (i64::from(*px - x), i64::from(*py - y));
            dx * dx + dy * dy <= r2
        })
        .map(|(e, _)| *e)
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<Entity>) -> Vec<Entity> {
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// One grid rebuilt with counts that make its bucket table grow and shrink (none, a few,
    /// thousands, a few again) answers every query as a brute-force scan does.
    #[test]
    fn a_rebuilt_grid_of_any_size_matches_brute_force(
        sizes in proptest::collection::vec(prop_oneof![Just(0usize), 1usize..20, 1500usize..3000], 2..6),
        seed in any::<u64>(),
        queries in proptest::collection::vec((-6000i32..6000, -6000i32..6000, 0i32..3000), 1..12),
    ) {
        let mut grid = SortedGrid::new(8, 1 << 16);
        let mut kept = SpatialGrid::with_geometry(engine::grid::GridGeometry::new(8, 16));
        let mut all: BTreeMap<Entity, (i32, i32)> = BTreeMap::new();
        let mut rng = seed | 1;
        let mut next = move |span: i32| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % (2 * span as u64)) as i32 - span
        };
        for n in sizes {
            let points: BTreeMap<Entity, (i32, i32)> =
                (0..n).map(|i| (Entity::from_parts(i as u32, 0), (next(5000), next(5000)))).collect();
            let ids: Vec<Entity> = points.keys().copied().collect();
            let xs: Vec<i32> = points.values().map(|p| p.0).collect();
            let ys: Vec<i32> = points.values().map(|p| p.1).collect();
            grid.rebuild(&ids, &xs, &ys);
            prop_assert_eq!(grid.len(), n);
            // The incremental grid keeps every batch: its table grows as they come.
            for p in points.values() {
                let e = Entity::from_parts(all.len() as u32, 0);
                kept.insert(e, p.0, p.1);
                all.insert(e, *p);
            }
            prop_assert_eq!(kept.len(), all.len());
            let mut out = Vec::new();
            for &(x, y, r) in &queries {
                grid.query_radius(x, y, r, &mut out);
                prop_assert_eq!(sorted(out.clone()), brute_radius(&points, x, y, r));
                kept.query_radius(x, y, r, &mut out);
                prop_assert_eq!(sorted(out.clone()), brute_radius(&all, x, y, r));
            }
        }
    }

    #[test]
    fn grid_matches_brute_force(
        seed_points in proptest::collection::vec((-5000i32..5000, -5000i32..5000), 1..400),
        moves in proptest::collection::vec((any::<usize>(), -700i32..700, -700i32..700), 0..400),
        removals in proptest::collection::vec(any::<usize>(), 0..50),
        queries in proptest::collection::vec((-6000i32..6000, -6000i32..6000, 0i32..3000), 1..20),
    ) {
        let mut grid = SpatialGrid::new(8, 64);
        let mut points = BTreeMap::new();
        for (i, (x, y)) in seed_points.iter().enumerate() {
            let e = Entity::from_parts(i as u32, 0);
            grid.insert(e, *x, *y);
            points.insert(e, (*x, *y));
        }
        let ids: Vec<Entity> = points.keys().copied().collect();
        for (i, dx, dy) in moves {
            let e = ids[i % ids.len()];
            if let Some(p) = points.get_mut(&e) {
                *p = (p.0 + dx, p.1 + dy);
                prop_assert!(grid.move_to(e, p.0, p.1));
            }
        }
        for i in removals {
            let e = ids[i % ids.len()];
            prop_assert_eq!(grid.remove(e), points.remove(&e).is_some());
        }
        prop_assert_eq!(grid.len(), points.len());
        let mut rebuilt = SortedGrid::new(8, 64);
        let ids: Vec<Entity> = points.keys().copied().collect();
        let xs: Vec<i32> = points.values().map(|p| p.0).collect();
        let ys: Vec<i32> = points.values().map(|p| p.1).collect();
        rebuilt.rebuild(&ids, &xs, &ys);
        prop_assert_eq!(rebuilt.len(), points.len());
        for (entry, source) in rebuilt.entries().iter().zip(rebuilt.sources()) {
            prop_assert_eq!(entry.entity, ids[*source as usize]);
        }
        let mut out = Vec::new();
        for (x, y, r) in queries {
            let want = brute_radius(&points, x, y, r);
            grid.query_radius(x, y, r, &mut out);
            prop_assert_eq!(sorted(out.clone()), want.clone());
            rebuilt.query_radius(x, y, r, &mut out);
            prop_assert_eq!(sorted(out.clone()), want);
            let rect = Rect { min_x: x - r, min_y: y - r / 2, max_x: x + r / 3, max_y: y + r };
            let want: Vec<_> = points.iter().filter(|(_, p)| rect.contains(p.0, p.1)).map(|(e, _)| *e).collect();
            let mut got = Vec::new();
            grid.for_each_in_rect(rect, |e: &GridEntry| got.push(e.entity));
            prop_assert_eq!(sorted(got), want.clone());
            let mut got = Vec::new();
            rebuilt.for_each_in_rect(rect, |e: &GridEntry| got.push(e.entity));
            prop_assert_eq!(sorted(got), want);
        }
    }
}

#[test]
fn query_order_is_deterministic() {
    let build = || {
        let mut grid = SpatialGrid::new(6, 1000);
        for i in 0..2000u32 {
            let x = (i as i32 * 7919) % 4000 - 2000;
            let y = (i as i32 * 104_729) % 4000 - 2000;
            grid.insert(Entity::from_parts(i, 0), x, y);
        }
        for i in (0..2000u32).step_by(3) {
            grid.move_to(Entity::from_parts(i, 0), i as i32 % 500, -(i as i32 % 300));
        }
        let mut out = Vec::new();
        grid.query_radius(0, 0, 900, &mut out);
        out
    };
    let first = build();
    assert!(first.len() > 100);
    assert_eq!(first, build());
}

#[test]
fn sorted_grid_is_deterministic_and_parallel_safe() {
    // Large enough to take the parallel bucket pass.
    let n = 40_000u32;
    let ids: Vec<Entity> = (0..n).map(|i| Entity::from_parts(i, 0)).collect();
    let xs: Vec<i32> = (0..n as i64).map(|i| ((i * 7919) % 100_000 - 50_000) as i32).collect();
    let ys: Vec<i32> = (0..n as i64).map(|i| ((i * 104_729) % 100_000 - 50_000) as i32).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut grid = SortedGrid::new(9, n as usize);
            grid.rebuild(&ids, &xs, &ys);
            let mut out = Vec::new();
            grid.query_radius(0, 0, 4000, &mut out);
            (grid.entries().to_vec(), out)
        })
    };
    let (entries, found) = run(1);
    assert_eq!(entries.len(), n as usize);
    assert!(!found.is_empty());
    assert_eq!((entries, found), run(3));
}

#[test]
fn stale_entity_is_not_moved_or_removed() {
    let mut grid = SpatialGrid::new(8, 16);
    let old = Entity::from_parts(3, 0);
    let new = Entity::from_parts(3, 1);
    grid.insert(old, 10, 10);
    assert!(!grid.move_to(new, 20, 20));
    assert!(!grid.remove(new));
    grid.insert(new, 500, 500);
    assert_eq!(grid.len(), 1, "the stale occupant of index 3 is replaced");
    assert!(grid.get(old).is_none());
    assert_eq!(grid.get(new).map(|e| (e.x, e.y)), Some((500, 500)));
}

#[test]
fn extreme_coordinates_do_not_overflow() {
    let mut grid = SpatialGrid::new(10, 16);
    let e = Entity::from_parts(0, 0);
    grid.insert(e, i32::MAX, i32::MIN);
    let mut out = Vec::new();
    grid.query_radius(i32::MAX, i32::MIN, 5, &mut out);
    assert_eq!(out, vec![e]);
}

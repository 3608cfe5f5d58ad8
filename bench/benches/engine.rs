//! Engine micro-benchmarks at 6,000 and 60,000 entities: movement integration (against hecs and
//! bevy_ecs on the same workload), grid update (incremental vs counting-sort rebuild), radius
//! queries, and the synthetic tick (move + grid + neighbour collision query).

use bench::synthetic::{CELL_SHIFT, SyntheticTick, integrate, spawn_movers};
use bench::{Population, Rng, TILE};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use engine::{Entity, SortedGrid, SpatialGrid, World};
use std::hint::black_box;

const SIZES: [usize; 2] = [6_000, 60_000];

#[derive(Clone, Copy, bevy_ecs::component::Component)]
struct Pos {
    x: i32,
    y: i32,
}

#[derive(Clone, Copy, bevy_ecs::component::Component)]
struct Vel {
    x: i32,
    y: i32,
}

fn movement(c: &mut Criterion) {
    let mut group = c.benchmark_group("movement");
    for n in SIZES {
        let pop = Population::new(n, 7);
        let mut world = World::new();
        let m = spawn_movers(&mut world, &pop);
        group.bench_function(BenchmarkId::new("engine", n), |b| {
            b.iter(|| {
                let len = world.group_len(m.group);
                let (mut x, mut y) = (world.column_mut(m.x), world.column_mut(m.y));
                let (vx, vy) = (world.column(m.vx), world.column(m.vy));
                integrate(
                    &mut x.values_mut()[..len],
                    &mut y.values_mut()[..len],
                    &vx.values()[..len],
                    &vy.values()[..len],
                );
                black_box(x.values().first().copied())
            })
        });
        let mut hecs_world = hecs::World::new();
        hecs_world.spawn_batch(
            (0..n).map(|i| (Pos { x: pop.x[i], y: pop.y[i] }, Vel { x: pop.vx[i], y: pop.vy[i] })),
        );
        group.bench_function(BenchmarkId::new("hecs", n), |b| {
            b.iter(|| {
                for (pos, vel) in hecs_world.query_mut::<(&mut Pos, &Vel)>() {
                    pos.x = pos.x.wrapping_add(vel.x);
                    pos.y = pos.y.wrapping_add(vel.y);
                }
                black_box(&mut hecs_world);
            })
        });
        let mut bevy_world = bevy_ecs::world::World::new();
        bevy_world.spawn_batch(
            (0..n).map(|i| (Pos { x: pop.x[i], y: pop.y[i] }, Vel { x: pop.vx[i], y: pop.vy[i] })),
        );
        let mut query = bevy_world.query::<(&mut Pos, &Vel)>();
        group.bench_function(BenchmarkId::new("bevy_ecs", n), |b| {
            b.iter(|| {
                for (mut pos, vel) in query.iter_mut(&mut bevy_world) {
                    pos.x = pos.x.wrapping_add(vel.x);
                    pos.y = pos.y.wrapping_add(vel.y);
                }
                black_box(&mut bevy_world);
            })
        });
    }
    group.finish();
}

/// Two position sets a tick apart, so each iteration moves every entity once.
fn two_frames(pop: &Population) -> [(Vec<i32>, Vec<i32>); 2] {
    let next_x = pop.x.iter().zip(&pop.vx).map(|(p, v)| p + v).collect();
    let next_y = pop.y.iter().zip(&pop.vy).map(|(p, v)| p + v).collect();
    [(pop.x.clone(), pop.y.clone()), (next_x, next_y)]
}

fn ids(n: usize) -> Vec<Entity> {
    (0..n as u32).map(|i| Entity::from_parts(i, 0)).collect()
}

fn grid_update(c: &mut Criterion) {
    let mut group = c.benchmark_group("grid_update");
    for n in SIZES {
        let pop = Population::new(n, 11);
        let frames = two_frames(&pop);
        let entities = ids(n);
        let mut grid = SpatialGrid::new(CELL_SHIFT, n);
        for (i, e) in entities.iter().enumerate() {
            grid.insert(*e, pop.x[i], pop.y[i]);
        }
        let mut flip = 0;
        group.bench_function(BenchmarkId::new("incremental", n), |b| {
            b.iter(|| {
                flip ^= 1;
                let (xs, ys) = &frames[flip];
                for (i, e) in entities.iter().enumerate() {
                    grid.move_to(*e, xs[i], ys[i]);
                }
                black_box(grid.len())
            })
        });
        let mut rebuilt = SortedGrid::new(CELL_SHIFT, n);
        group.bench_function(BenchmarkId::new("counting_sort", n), |b| {
            b.iter(|| {
                flip ^= 1;
                let (xs, ys) = &frames[flip];
                rebuilt.rebuild(&entities, xs, ys);
                black_box(rebuilt.len())
            })
        });
    }
    group.finish();
}

fn radius_queries(c: &mut Criterion) {
    let mut group = c.benchmark_group("radius_query_x1000");
    for n in SIZES {
        let pop = Population::new(n, 13);
        let entities = ids(n);
        let mut grid = SpatialGrid::new(CELL_SHIFT, n);
        for (i, e) in entities.iter().enumerate() {
            grid.insert(*e, pop.x[i], pop.y[i]);
        }
        let mut rebuilt = SortedGrid::new(CELL_SHIFT, n);
        rebuilt.rebuild(&entities, &pop.x, &pop.y);
        let mut rng = Rng::new(99);
        let centres: Vec<(i32, i32)> =
            (0..1000).map(|_| (rng.range(0, pop.side), rng.range(0, pop.side))).collect();
        group.bench_function(BenchmarkId::new("incremental_r2tiles", n), |b| {
            b.iter(|| {
                let mut found = 0usize;
                for &(x, y) in &centres {
                    grid.for_each_in_radius(x, y, 2 * TILE, |_| found += 1);
                }
                black_box(found)
            })
        });
        group.bench_function(BenchmarkId::new("counting_sort_r2tiles", n), |b| {
            b.iter(|| {
                let mut found = 0usize;
                for &(x, y) in &centres {
                    rebuilt.for_each_in_radius(x, y, 2 * TILE, |_| found += 1);
                }
                black_box(found)
            })
        });
    }
    group.finish();
}

fn synthetic_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic_tick");
    group.sample_size(30);
    for n in SIZES {
        let mut sim = SyntheticTick::new(n);
        group.bench_function(BenchmarkId::from_parameter(n), |b| b.iter(|| sim.tick()));
    }
    group.finish();
}

criterion_group!(benches, movement, grid_update, radius_queries, synthetic_tick);
criterion_main!(benches);

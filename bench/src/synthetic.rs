//! The synthetic tick: entities move (bouncing off the world edge), the spatial grid is rebuilt
//! from the position columns, and each entity queries its neighbours within a collision radius and
//! steers away from the nearest overlap. Built on the engine's world, column group and scheduler,
//! as the game will be. Queries run in grid order (cache-friendly) on rayon; their results land in
//! a scratch array in the same order and are scattered back to the velocity columns.

use crate::{MAX_STEP, Population, TILE};
use engine::{ColumnKey, Entity, GroupId, ResourceKey, Schedule, SortedGrid, World};
use rayon::prelude::*;

/// Collision radius: two characters of half a tile each.
pub const COLLIDE_R: i32 = TILE;
/// Grid cell: 4 tiles (`1 << 10` units).
pub const CELL_SHIFT: u32 = 10;

/// Column handles of a mover population.
#[derive(Debug, Clone, Copy)]
pub struct Movers {
    /// X positions.
    pub x: ColumnKey<i32>,
    /// Y positions.
    pub y: ColumnKey<i32>,
    /// X velocities.
    pub vx: ColumnKey<i32>,
    /// Y velocities.
    pub vy: ColumnKey<i32>,
    /// The group keeping the four in identical order.
    pub group: GroupId,
}

/// Registers the four columns, groups them and spawns `pop`.
pub fn spawn_movers(world: &mut World, pop: &Population) -> Movers {
    let x = world.register::<i32>("x").expect("fresh world");
    let y = world.register::<i32>("y").expect("fresh world");
    let vx = world.register::<i32>("vx").expect("fresh world");
    let vy = world.register::<i32>("vy").expect("fresh world");
    let group = world.group(&[x.id(), y.id(), vx.id(), vy.id()]).expect("fresh columns");
    for i in 0..pop.len() {
        let e = world.spawn();
        for (key, v) in [(x, pop.x[i]), (y, pop.y[i]), (vx, pop.vx[i]), (vy, pop.vy[i])] {
            world.insert(e, key, v).expect("live entity");
        }
    }
    Movers { x, y, vx, vy, group }
}

/// Moves every grouped entity by its velocity: four slice zips that the compiler vectorizes.
pub fn integrate(xs: &mut [i32], ys: &mut [i32], vxs: &[i32], vys: &[i32]) {
    for (x, v) in xs.iter_mut().zip(vxs) {
        *x = x.wrapping_add(*v);
    }
    for (y, v) in ys.iter_mut().zip(vys) {
        *y = y.wrapping_add(*v);
    }
}

/// A world plus a three-stage schedule: move, grid, collide.
#[derive(Debug)]
pub struct SyntheticTick {
    /// The world.
    pub world: World,
    /// The schedule.
    pub schedule: Schedule,
    /// The movers' columns.
    pub movers: Movers,
    /// The grid resource.
    pub grid: ResourceKey<SortedGrid>,
}

/// Per grid entry: the new velocity when it must steer away.
type Steering = Vec<Option<(i32, i32)>>;

impl SyntheticTick {
    /// Builds the world for `n` entities.
    pub fn new(n: usize) -> Self {
        let pop = Population::new(n, 0x5EED);
        let mut world = World::new();
        let movers = spawn_movers(&mut world, &pop);
        let grid = world.insert_resource("grid", SortedGrid::new(CELL_SHIFT, n)).expect("fresh world");
        let steering = world.insert_resource("steering", Steering::new()).expect("fresh world");
        let mut schedule = Schedule::new();
        add_move(&mut schedule, movers, pop.side);
        add_grid_update(&mut schedule, movers, grid);
        add_collide(&mut schedule, movers, grid, steering);
        Self { world, schedule, movers, grid }
    }

    /// Runs one tick.
    pub fn tick(&mut self) {
        self.schedule.run(&mut self.world);
    }
}

fn add_move(schedule: &mut Schedule, m: Movers, side: i32) {
    let stage = schedule.add_stage("move");
    schedule
        .system(stage, "integrate")
        .writes(m.x)
        .writes(m.y)
        .writes(m.vx)
        .writes(m.vy)
        .run(move |ctx, _| {
            let n = ctx.group_len(m.group);
            let (mut x, mut y, mut vx, mut vy) =
                (ctx.write(m.x), ctx.write(m.y), ctx.write(m.vx), ctx.write(m.vy));
            bounce(&x.values()[..n], &mut vx.values_mut()[..n], side);
            bounce(&y.values()[..n], &mut vy.values_mut()[..n], side);
            integrate(
                &mut x.values_mut()[..n],
                &mut y.values_mut()[..n],
                &vx.values()[..n],
                &vy.values()[..n],
            );
        })
        .expect("valid declaration");
}

/// Turns velocities that would leave `0..side` around.
fn bounce(pos: &[i32], vel: &mut [i32], side: i32) {
    for (p, v) in pos.iter().zip(vel.iter_mut()) {
        let next = p + *v;
        if next < 0 || next >= side {
            *v = -*v;
        }
    }
}

fn add_grid_update(schedule: &mut Schedule, m: Movers, grid: ResourceKey<SortedGrid>) {
    let stage = schedule.add_stage("grid");
    schedule
        .system(stage, "grid-rebuild")
        .reads(m.x)
        .reads(m.y)
        .writes_resource(grid)
        .run(move |ctx, _| {
            let n = ctx.group_len(m.group);
            let (x, y) = (ctx.read(m.x), ctx.read(m.y));
            ctx.resource_mut(grid).rebuild(&x.entities()[..n], &x.values()[..n], &y.values()[..n]);
        })
        .expect("valid declaration");
}

fn add_collide(
    schedule: &mut Schedule,
    m: Movers,
    grid: ResourceKey<SortedGrid>,
    steering: ResourceKey<Steering>,
) {
    let stage = schedule.add_stage("collide");
    schedule
        .system(stage, "separate")
        .writes(m.vx)
        .writes(m.vy)
        .reads_resource(grid)
        .writes_resource(steering)
        .run(move |ctx, _| {
            let grid = ctx.resource(grid);
            let mut steer = ctx.resource_mut(steering);
            steer.clear();
            steer.resize(grid.len(), None);
            steer.par_chunks_mut(512).zip(grid.entries().par_chunks(512)).for_each(|(out, entries)| {
                for (o, e) in out.iter_mut().zip(entries) {
                    *o = steer_away(&grid, e.entity, e.x, e.y);
                }
            });
            let (mut vx, mut vy) = (ctx.write(m.vx), ctx.write(m.vy));
            let (vxs, vys) = (vx.values_mut(), vy.values_mut());
            for (s, &src) in steer.iter().zip(grid.sources()) {
                if let Some((sx, sy)) = *s {
                    vxs[src as usize] = sx;
                    vys[src as usize] = sy;
                }
            }
        })
        .expect("valid declaration");
}

/// The velocity pointing away from the nearest neighbour closer than [`COLLIDE_R`], if any.
fn steer_away(grid: &SortedGrid, me: Entity, x: i32, y: i32) -> Option<(i32, i32)> {
    let mut nearest: Option<(i64, i32, i32)> = None;
    grid.for_each_in_radius(x, y, COLLIDE_R, |other| {
        if other.entity == me {
            return;
        }
        let (dx, dy) = (x - other.x, y - other.y);
        let d2 = i64::from(dx) * i64::from(dx) + i64::from(dy) * i64::from(dy);
        if nearest.is_none_or(|(best, _, _)| d2 < best) {
            nearest = Some((d2, dx, dy));
        }
    });
    nearest.map(|(_, dx, dy)| (dx.signum() * MAX_STEP / 2, dy.signum() * MAX_STEP / 2))
}

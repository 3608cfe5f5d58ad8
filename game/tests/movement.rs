//! Collision tests of the integer movement module: corners, water, border, crowds, tunnelling.

use game::movement::{Circle, StepInput, Terrain, step};

/// A 64×64-tile test terrain with a set of blocked tiles and a border of 20 tiles.
struct Grid {
    blocked: Vec<(i32, i32)>,
}

impl Terrain for Grid {
    fn tile_blocked(&self, tx: i32, ty: i32) -> bool {
        self.blocked.contains(&(tx, ty))
    }
    fn bounds(&self) -> (i32, i32, i32, i32) {
        (20 * 256, 20 * 256, 44 * 256, 44 * 256)
    }
}

fn input(x: i32, y: i32, gx: i32, gy: i32, speed: i32) -> StepInput {
    StepInput { x, y, radius: 77, speed, goal_x: gx, goal_y: gy, stop_dist: 0 }
}

fn run(mut i: StepInput, t: &impl Terrain, c: &[Circle], ticks: usize) -> (i32, i32) {
    for _ in 0..ticks {
        let o = step(&i, t, c);
        (i.x, i.y) = (o.x, o.y);
    }
    (i.x, i.y)
}

#[test]
fn reaches_goal_on_open_ground() {
    let t = Grid { blocked: vec![] };
    let o = step(&input(30 * 256, 30 * 256, 30 * 256 + 50, 30 * 256, 100), &t, &[]);
    assert_eq!((o.x, o.y, o.arrived), (30 * 256 + 50, 30 * 256, true));
}

#[test]
fn water_tile_stops_and_slides() {
    // A wall of water at tile column 32, rows 25..35.
    let t = Grid { blocked: (25..35).map(|y| (32, y)).collect() };
    let (x, _) = run(input(30 * 256, 30 * 256, 36 * 256, 30 * 256, 100), &t, &[], 50);
    assert!(x + 77 <= 32 * 256, "stopped before the water: {x}");
    // Diagonal goal: slides along the wall in y.
    let (x2, y2) = run(input(30 * 256, 30 * 256, 36 * 256, 40 * 256, 100), &t, &[], 200);
    assert!(x2 > 32 * 256 || y2 >= 35 * 256, "slid around: ({x2}, {y2})");
}

#[test]
fn corner_does_not_let_through() {
    // Two blocked tiles touching at a corner: (32,30) and (31,31). Moving diagonally through the
    // corner point must not pass.
    let t = Grid { blocked: vec![(32, 30), (31, 31)] };
    let start = (31 * 256 + 100, 30 * 256 + 100);
    let (x, y) = run(input(start.0, start.1, 33 * 256, 32 * 256, 100), &t, &[], 100);
    assert!(!(x >= 32 * 256 && y >= 31 * 256), "tunnelled through the corner to ({x}, {y})");
}

#[test]
fn border_holds() {
    let t = Grid { blocked: vec![] };
    let (x, y) = run(input(21 * 256, 21 * 256, 0, 0, 200), &t, &[], 100);
    assert_eq!((x, y), (20 * 256, 20 * 256));
}

#[test]
fn no_tunnelling_through_small_object_at_max_speed() {
    let t = Grid { blocked: vec![] };
    let rock = Circle { x: 32 * 256, y: 30 * 256, r: 16 };
    let o = step(&input(31 * 256 + 100, 30 * 256, 33 * 256, 30 * 256, 1024), &t, &[rock]);
    // Either it stopped in front of the rock or it went around it (sidestep), never through.
    assert!(o.x <= rock.x - 16 - 77 + 1 || o.y != 30 * 256, "passed through the rock at {:?}", (o.x, o.y));
    let d2 = i64::from(o.x - rock.x).pow(2) + i64::from(o.y - rock.y).pow(2);
    assert!(d2 >= 93 * 93, "ends overlapping the rock");
}

#[test]
fn no_tunnelling_through_a_thin_wall_at_max_speed() {
    let t = Grid { blocked: (0..64).map(|y| (32, y)).collect() };
    let o = step(&input(31 * 256, 30 * 256, 40 * 256, 30 * 256, 1024), &t, &[]);
    assert!(o.x + 77 <= 32 * 256 && o.blocked, "crossed the wall: {}", o.x);
}

#[test]
fn crowd_never_overlaps_more() {
    let t = Grid { blocked: vec![] };
    let crowd: Vec<Circle> =
        (0..9).map(|i| Circle { x: 32 * 256 + (i % 3) * 160, y: 32 * 256 + (i / 3) * 160, r: 77 }).collect();
    let (x, y) = run(input(26 * 256, 32 * 256 + 160, 32 * 256 + 160, 32 * 256 + 160, 100), &t, &crowd, 100);
    for c in &crowd {
        let d2 = i64::from(c.x - x).pow(2) + i64::from(c.y - y).pow(2);
        assert!(d2 >= 154 * 154, "overlaps a crowd member at ({x}, {y})");
    }
}

#[test]
fn overlapping_mover_can_step_out() {
    let t = Grid { blocked: vec![] };
    let other = Circle { x: 30 * 256, y: 30 * 256, r: 77 };
    let o = step(&input(30 * 256 + 10, 30 * 256, 34 * 256, 30 * 256, 100), &t, &[other]);
    assert!(o.x > 30 * 256 + 10);
}

#[test]
fn the_last_unit_short_of_a_stop_distance_on_a_diagonal_is_still_walked() {
    // 100 units each way: the distance is 141 (integer), one unit beyond a stop distance of 140,
    // and a proportional step of 1 truncates to (0, 0) on both axes.
    let t = Grid { blocked: vec![] };
    let (x, y) = (30 * 256, 30 * 256);
    let mut i = StepInput { stop_dist: 140, ..input(x, y, x + 100, y + 100, 100) };
    let mut arrived = false;
    for _ in 0..4 {
        let o = step(&i, &t, &[]);
        (i.x, i.y, arrived) = (o.x, o.y, o.arrived);
        if arrived {
            break;
        }
    }
    assert!(arrived, "arrived within a few ticks at ({}, {})", i.x - x, i.y - y);
}

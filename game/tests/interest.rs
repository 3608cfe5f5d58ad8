//! Chunk area hysteresis: the 3×3 area on entry, no flicker along a border, drops only past the
//! margin, and a teleport replaces the whole area.

use game::geom::{CHUNK_UNITS, TILE};
use game::interest::{AreaChange, ChunkArea, DEFAULT_MARGIN};

fn sorted(mut v: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    v.sort();
    v
}

fn square(cx: i32, cy: i32) -> Vec<(i32, i32)> {
    sorted((-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (cx + dx, cy + dy))).collect())
}

#[test]
fn first_update_subscribes_the_three_by_three() {
    let mut area = ChunkArea::default();
    let mut change = AreaChange::default();
    area.update(5 * CHUNK_UNITS + 100, 7 * CHUNK_UNITS + 100, &mut change);
    assert_eq!(sorted(change.entered.clone()), square(5, 7));
    assert!(change.left.is_empty());
    area.update(5 * CHUNK_UNITS + 900, 7 * CHUNK_UNITS + 50, &mut change);
    assert!(change.is_empty(), "moving inside the chunk changes nothing");
}

#[test]
fn walking_along_a_border_does_not_flicker() {
    let mut area = ChunkArea::default();
    let mut change = AreaChange::default();
    let border = 10 * CHUNK_UNITS;
    let y = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;
    area.update(border - TILE, y, &mut change);
    area.update(border + TILE, y, &mut change);
    // Crossing into chunk 10 subscribes column 11 but keeps column 8 (within the margin).
    assert_eq!(sorted(change.entered.clone()), vec![(11, 2), (11, 3), (11, 4)]);
    assert!(change.left.is_empty());
    for step in 0..50 {
        let x = if step % 2 == 0 { border - 3 * TILE } else { border + 3 * TILE };
        area.update(x, y, &mut change);
        assert!(change.is_empty(), "step {step}: {change:?}");
    }
    assert_eq!(area.chunks().len(), 12);
}

#[test]
fn chunks_drop_only_past_the_margin() {
    let mut area = ChunkArea::default();
    let mut change = AreaChange::default();
    let y = CHUNK_UNITS / 2;
    area.update(CHUNK_UNITS / 2, y, &mut change); // chunk (0, 0): columns -1..=1
    // Column -1 leaves the 3×3 area when the character enters chunk 1 (x = CHUNK_UNITS); the
    // margin keeps it until the character is DEFAULT_MARGIN further.
    let edge_of_keep = CHUNK_UNITS + DEFAULT_MARGIN;
    area.update(edge_of_keep - 1, y, &mut change);
    assert!(!change.left.contains(&(-1, 0)), "still within the margin");
    area.update(edge_of_keep + 1, y, &mut change);
    assert_eq!(sorted(change.left.clone()), vec![(-1, -1), (-1, 0), (-1, 1)]);
}

#[test]
fn teleport_replaces_the_area() {
    let mut area = ChunkArea::default();
    let mut change = AreaChange::default();
    area.update(0, 0, &mut change);
    area.update(40 * CHUNK_UNITS, 40 * CHUNK_UNITS, &mut change);
    assert_eq!(sorted(change.left.clone()), square(0, 0));
    assert_eq!(sorted(change.entered.clone()), square(40, 40));
    assert_eq!(sorted(area.clear()), square(40, 40));
}

/// The area rule written out plainly: keep a chunk while the character is within one chunk
/// plus the margin of it on both axes, then add the 3×3 around the character's chunk.
fn reference_update(held: &mut Vec<(i32, i32)>, x: i32, y: i32) -> AreaChange {
    let reach = i64::from(CHUNK_UNITS + DEFAULT_MARGIN);
    let gap = |c: i32, v: i32| {
        let (lo, v) = (i64::from(c) * i64::from(CHUNK_UNITS), i64::from(v));
        (lo - v).max(v - (lo + i64::from(CHUNK_UNITS) - 1)).max(0)
    };
    let mut change = AreaChange::default();
    held.retain(|&(cx, cy)| {
        let keep = gap(cx, x) <= reach && gap(cy, y) <= reach;
        if !keep {
            change.left.push((cx, cy));
        }
        keep
    });
    let (cx, cy) = (x.div_euclid(CHUNK_UNITS), y.div_euclid(CHUNK_UNITS));
    for chunk in (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (cx + dx, cy + dy))) {
        if !held.contains(&chunk) {
            held.push(chunk);
            change.entered.push(chunk);
        }
    }
    change
}

#[test]
fn every_update_matches_the_plain_rule_on_random_walks() {
    let mut seed = 0x1234_5678_9ABC_DEF0_u64;
    let mut next = |span: i32| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) % (2 * span as u64 + 1)) as i32 - span
    };
    for walk in 0..40 {
        let (mut area, mut change, mut held) = (ChunkArea::default(), AreaChange::default(), Vec::new());
        let (mut x, mut y) = (next(4 * CHUNK_UNITS), next(4 * CHUNK_UNITS));
        for step in 0..2_000 {
            // Mostly short steps around borders, now and then a jump (a teleport or a respawn).
            let span = if step % 500 == 499 { 3 * CHUNK_UNITS } else { 6 * TILE };
            (x, y) = (x + next(span), y + next(span));
            area.update(x, y, &mut change);
            let expected = reference_update(&mut held, x, y);
            assert_eq!(sorted(change.entered.clone()), sorted(expected.entered), "walk {walk} step {step}");
            assert_eq!(sorted(change.left.clone()), sorted(expected.left), "walk {walk} step {step}");
            assert_eq!(sorted(area.chunks().to_vec()), sorted(held.clone()), "walk {walk} step {step}");
        }
    }
}

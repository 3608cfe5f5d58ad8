//! Movement vectors: thousands of `movement::step` cases over small tile grids with blocking
//! tiles, circles and tight borders; `steer` cases; multi-tick walks (steering, stepping and the
//! stuck rule together, toward moving aims); dead reckoning with large gaps and the cap.

use super::util::{Rng, big};
use game::client::HeldEntity;
use game::content::CharacterRules;
use game::geom::TILE;
use game::movement::{Circle, StepInput, Terrain, step};
use game::steering::{Aim, Progress, Steering, steer};
use net::protocol::{EntityState, dead_reckon};
use serde_json::{Value, json};

const STEP_CASES: usize = 4000;
const STEER_CASES: usize = 600;
const WALKS: usize = 60;
const WALK_TICKS: usize = 90;

/// A tile grid: tiles outside it all block or all do not; the border is `bounds`.
struct Grid {
    tx0: i32,
    ty0: i32,
    w: i32,
    h: i32,
    blocked: Vec<bool>,
    outside: bool,
    bounds: (i32, i32, i32, i32),
}

impl Terrain for Grid {
    fn tile_blocked(&self, tx: i32, ty: i32) -> bool {
        let (lx, ly) = (tx - self.tx0, ty - self.ty0);
        if lx < 0 || ly < 0 || lx >= self.w || ly >= self.h {
            return self.outside;
        }
        self.blocked[(ly * self.w + lx) as usize]
    }

    fn bounds(&self) -> (i32, i32, i32, i32) {
        self.bounds
    }
}

impl Grid {
    fn random(rng: &mut Rng) -> Grid {
        let (tx0, ty0) = (rng.range(20, 300) as i32, rng.range(20, 300) as i32);
        let (w, h) = (rng.range(8, 32) as i32, rng.range(8, 32) as i32);
        let density = [0, 5, 15, 35][rng.range(0, 3) as usize];
        let blocked = (0..w * h).map(|_| rng.chance(density, 100)).collect();
        let bounds = if rng.chance(1, 2) {
            (20 * TILE, 20 * TILE, 4096 * TILE, 4096 * TILE)
        } else {
            let m = rng.range(1, 4) as i32;
            ((tx0 + m) * TILE, (ty0 + m) * TILE, (tx0 + w - m) * TILE - 1, (ty0 + h - m) * TILE)
        };
        Grid { tx0, ty0, w, h, blocked, outside: rng.chance(1, 2), bounds }
    }

    fn json(&self) -> Value {
        let bits: String = self.blocked.iter().map(|&b| if b { '1' } else { '0' }).collect();
        let (a, b, c, d) = self.bounds;
        json!({ "tx0": self.tx0, "ty0": self.ty0, "w": self.w, "h": self.h, "blocked": bits,
            "outside": self.outside, "bounds": [a, b, c, d] })
    }

    /// A point of the grid's area (sometimes just outside the bounds).
    fn point(&self, rng: &mut Rng) -> (i32, i32) {
        let x = rng.range(i64::from(self.tx0 * TILE), i64::from((self.tx0 + self.w) * TILE)) as i32;
        let y = rng.range(i64::from(self.ty0 * TILE), i64::from((self.ty0 + self.h) * TILE)) as i32;
        (x, y)
    }
}

fn pick(rng: &mut Rng, edges: &[i32], lo: i32, hi: i32) -> i32 {
    if rng.chance(1, 2) {
        edges[rng.range(0, edges.len() as i64 - 1) as usize]
    } else {
        rng.range(lo.into(), hi.into()) as i32
    }
}

fn circles(rng: &mut Rng, at: (i32, i32)) -> Vec<Circle> {
    (0..rng.range(0, 7))
        .map(|_| Circle {
            x: at.0 + rng.range(-700, 700) as i32,
            y: at.1 + rng.range(-700, 700) as i32,
            r: pick(rng, &[0, 1, 16, 40, 96], 0, 220),
        })
        .collect()
}

fn circles_json(c: &[Circle]) -> Value {
    c.iter().map(|c| json!([c.x, c.y, c.r])).collect()
}

fn rules(rng: &mut Rng) -> CharacterRules {
    CharacterRules {
        radius: rng.range(8, 128) as i32,
        max_speed: rng.range(4, 160) as i32,
        interact_range: rng.range(0, 96) as i32,
    }
}

fn rules_json(r: &CharacterRules) -> Value {
    json!({ "radius": r.radius, "max_speed": r.max_speed, "interact_range": r.interact_range })
}

/// The movement vector file.
pub fn vectors() -> Value {
    let mut rng = Rng::new(0x5EED_0002);
    let grids: Vec<Grid> = (0..12).map(|_| Grid::random(&mut rng)).collect();
    let steps: Vec<Value> = (0..STEP_CASES).map(|_| step_case(&mut rng, &grids)).collect();
    let steers: Vec<Value> = (0..STEER_CASES).map(|_| steer_case(&mut rng)).collect();
    let walks: Vec<Value> = (0..WALKS).map(|_| walk_case(&mut rng, &grids)).collect();
    json!({
        "terrains": grids.iter().map(Grid::json).collect::<Vec<_>>(),
        "steps": steps,
        "steers": steers,
        "walks": walks,
        "reckon": reckon_cases(&mut rng),
    })
}

fn step_case(rng: &mut Rng, grids: &[Grid]) -> Value {
    let t = rng.range(0, grids.len() as i64 - 1) as usize;
    let (x, y) = grids[t].point(rng);
    let (goal_x, goal_y) = match rng.next_u64() % 6 {
        0 => (x, y),
        1 => (x + rng.range(-60_000, 60_000) as i32, y + rng.range(-60_000, 60_000) as i32),
        2 => (x + rng.range(-3, 3) as i32, y + rng.range(-3, 3) as i32),
        _ => (x + rng.range(-2_000, 2_000) as i32, y + rng.range(-2_000, 2_000) as i32),
    };
    let input = StepInput {
        x,
        y,
        radius: pick(rng, &[0, 1, 2, 3, 16, 51, 64, 96, 128], 0, 300),
        speed: pick(rng, &[-5, 0, 1, 2, 26, 64, 256, 700], 0, 800),
        goal_x,
        goal_y,
        stop_dist: pick(rng, &[-10, 0, 1, 100], 0, 400),
    };
    let c = circles(rng, (x, y));
    let out = step(&input, &grids[t], &c);
    json!({ "t": t, "x": x, "y": y, "radius": input.radius, "speed": input.speed, "goalX": goal_x,
        "goalY": goal_y, "stopDist": input.stop_dist, "circles": circles_json(&c),
        "out": [out.x, out.y, out.arrived, out.blocked] })
}

fn aim(rng: &mut Rng, pos: (i32, i32)) -> Aim {
    let at = if rng.chance(1, 8) {
        pos
    } else {
        (pos.0 + rng.range(-4_000, 4_000) as i32, pos.1 + rng.range(-4_000, 4_000) as i32)
    };
    let radius = pick(rng, &[0, 64, 96], 0, 200);
    match rng.next_u64() % 4 {
        0 => Aim::Point(at.0, at.1),
        1 => Aim::Follow { at, radius },
        2 => Aim::Act { at, radius },
        _ => Aim::Strike { at, radius, range: pick(rng, &[0, 32, 128], 0, 600) },
    }
}

fn aim_json(a: &Aim) -> Value {
    match *a {
        Aim::Point(x, y) => json!({ "kind": "point", "x": x, "y": y }),
        Aim::Follow { at, radius } => json!({ "kind": "follow", "at": [at.0, at.1], "radius": radius }),
        Aim::Act { at, radius } => json!({ "kind": "act", "at": [at.0, at.1], "radius": radius }),
        Aim::Strike { at, radius, range } => {
            json!({ "kind": "strike", "at": [at.0, at.1], "radius": radius, "range": range })
        }
    }
}

fn steering_json(s: &Steering) -> Value {
    match s {
        Steering::Go(g) => json!({ "kind": "go", "goal": { "x": g.x, "y": g.y, "stopDist": g.stop_dist } }),
        Steering::Arrived => json!({ "kind": "arrived" }),
        Steering::OutOfRange => json!({ "kind": "out_of_range" }),
    }
}

fn steer_case(rng: &mut Rng) -> Value {
    let pos = (rng.range(0, 1 << 22) as i32, rng.range(0, 1 << 22) as i32);
    let a = aim(rng, pos);
    let r = rules(rng);
    let follow_range = pick(rng, &[0, 16_384], 0, 6_000);
    let out = steer(a, pos, &r, follow_range);
    json!({ "aim": aim_json(&a), "pos": [pos.0, pos.1], "rules": rules_json(&r), "followRange": follow_range,
        "out": steering_json(&out) })
}

/// A walk: each tick the aim (which drifts) is steered, stepped and tracked as the server's
/// orders stage does; records position, stuck count and steering kind per tick.
fn walk_case(rng: &mut Rng, grids: &[Grid]) -> Value {
    let t = rng.range(0, grids.len() as i64 - 1) as usize;
    let r = rules(rng);
    let follow_range = pick(rng, &[16_384], 2_000, 8_000);
    let mut pos = grids[t].point(rng);
    let start = pos;
    let c = circles(rng, pos);
    let mut a = aim(rng, pos);
    let mut progress = Progress::default();
    let (mut aims, mut out) = (Vec::new(), Vec::new());
    for tick in 0..WALK_TICKS {
        if tick % 30 == 29 {
            a = aim(rng, pos);
        } else if rng.chance(1, 3) {
            a = drift(a, rng.range(-40, 40) as i32);
        }
        aims.push(aim_json(&a));
        let s = steer(a, pos, &r, follow_range);
        if let Steering::Go(goal) = s {
            let o = step(&goal.step_input(&r, pos), &grids[t], &c);
            if !matches!(a, Aim::Follow { .. }) {
                progress.track(&goal, (o.x, o.y), o.arrived);
            }
            pos = (o.x, o.y);
        }
        let kind = match s {
            Steering::Go(_) => 0,
            Steering::Arrived => 1,
            Steering::OutOfRange => 2,
        };
        out.push(json!([pos.0, pos.1, progress.stuck(), kind]));
    }
    json!({ "t": t, "rules": rules_json(&r), "followRange": follow_range, "circles": circles_json(&c),
        "start": [start.0, start.1], "aims": aims, "out": out })
}

/// The aim moved by `d` along both axes (a walking target).
fn drift(a: Aim, d: i32) -> Aim {
    let mv = |(x, y): (i32, i32)| (x + d, y - d);
    match a {
        Aim::Point(x, y) => Aim::Point(x + d, y - d),
        Aim::Follow { at, radius } => Aim::Follow { at: mv(at), radius },
        Aim::Act { at, radius } => Aim::Act { at: mv(at), radius },
        Aim::Strike { at, radius, range } => Aim::Strike { at: mv(at), radius, range },
    }
}

fn reckon_cases(rng: &mut Rng) -> Value {
    let ticks = |r: &mut Rng| match r.next_u64() % 5 {
        0 => r.uint(64),
        1 => (i64::from(u32::MAX) + r.range(-2, 2)) as u64,
        _ => r.range(0, 100_000) as u64,
    };
    let dead: Vec<Value> = (0..400)
        .map(|_| {
            let (x, vx, dt) = (rng.int(32) as i32, rng.int(16) as i16, ticks(rng));
            json!({ "x": x, "vx": vx, "ticks": big(dt), "out": dead_reckon(x, vx, dt).to_string() })
        })
        .collect();
    let held: Vec<Value> = (0..400)
        .map(|_| {
            let state = EntityState {
                x: rng.int(32) as i32,
                y: rng.int(32) as i32,
                vx: rng.int(16) as i16,
                vy: rng.int(16) as i16,
                hp: 1,
                flags: 0,
            };
            let record = rng.range(0, 1_000_000) as u64;
            let tick = if rng.chance(1, 4) {
                record.saturating_sub(rng.range(0, 50) as u64)
            } else {
                record + ticks(rng) / 2
            };
            let h = HeldEntity { kind: 1, state, tick: record };
            let (px, py) = h.position_at(tick);
            json!({ "state": { "x": state.x, "y": state.y, "vx": state.vx, "vy": state.vy },
                "record": big(record), "tick": big(tick), "out": [px, py] })
        })
        .collect();
    json!({ "dead": dead, "held": held })
}

//! Shared workloads for the benches in `benches/` and the macro benchmarks in `src/bin/`:
//! deterministic entity populations, the synthetic tick (movement + grid + neighbour collisions
//! on the engine's scheduler), and `world_tick`'s command line and item play.

pub mod item_play;
pub mod synthetic;
pub mod world_args;

/// One tile in fixed-point world units (1/256 tile), as the game uses.
pub const TILE: i32 = 256;

/// A tiny deterministic generator (xorshift64*), so every bench run sees the same population.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % (hi - lo) as u64) as i32
    }
}

/// Entity positions and velocities for `n` movers spread uniformly at one entity per `16` tiles²
/// (a busy town) on a square world; velocities up to 3 tiles/s at 20 Hz.
#[derive(Debug, Clone)]
pub struct Population {
    /// Side of the square world in world units.
    pub side: i32,
    /// X positions.
    pub x: Vec<i32>,
    /// Y positions.
    pub y: Vec<i32>,
    /// X velocities per tick.
    pub vx: Vec<i32>,
    /// Y velocities per tick.
    pub vy: Vec<i32>,
}

/// Largest speed per axis, in world units per tick (0.15 tile at 20 Hz = 3 tiles/s).
pub const MAX_STEP: i32 = 38;

impl Population {
    /// `n` movers from `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        let side = ((n as f64 * 16.0).sqrt() as i32).max(16) * TILE;
        let mut rng = Rng::new(seed);
        let mut p = Self { side, x: vec![], y: vec![], vx: vec![], vy: vec![] };
        for _ in 0..n {
            p.x.push(rng.range(0, side));
            p.y.push(rng.range(0, side));
            p.vx.push(rng.range(-MAX_STEP, MAX_STEP + 1));
            p.vy.push(rng.range(-MAX_STEP, MAX_STEP + 1));
        }
        p
    }

    /// Number of movers.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

//! Shared helpers of the vector generators: a seeded RNG (the harness's), hex and JSON output.

use serde_json::Value;
use std::path::Path;

/// The harness's deterministic RNG (SplitMix64) with the vectors' value pickers: the vectors are
/// the same on every run.
pub struct Rng(tools::harness::Rng);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(tools::harness::Rng::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.0.range(lo, hi)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    /// An unsigned value of `bits` bits, often an edge (0, 1, the maximum).
    pub fn uint(&mut self, bits: u32) -> u64 {
        let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        match self.next_u64() % 8 {
            0 => 0,
            1 => 1,
            2 => max,
            _ => self.next_u64() & max,
        }
    }

    /// A signed value of `bits` bits, often an edge (0, −1, the minimum and maximum).
    pub fn int(&mut self, bits: u32) -> i64 {
        let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        match self.next_u64() % 8 {
            0 => 0,
            1 => -1,
            2 => min,
            3 => max,
            _ => self.range(min, max),
        }
    }

    /// Random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.iter_mut().for_each(|b| *b = self.next_u64() as u8);
        out
    }

    /// A string of about `max_bytes` bytes or less mixing ASCII, accents, CJK and emoji (empty
    /// sometimes, sometimes longer than `max_bytes` so encoders clamp it).
    pub fn text(&mut self, max_bytes: usize) -> String {
        const PIECES: &[&str] = &["a", "Z", "7", " ", "é", "ß", "日本", "😀", "Ａ", "\u{301}", "-", "'"];
        let target = match self.next_u64() % 4 {
            0 => 0,
            1 => max_bytes + 3,
            _ => self.range(0, max_bytes as i64) as usize,
        };
        let mut s = String::new();
        while s.len() < target {
            s.push_str(PIECES[self.range(0, PIECES.len() as i64 - 1) as usize]);
        }
        s
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A u64 as JSON: a decimal string (JavaScript reads it as a BigInt).
pub fn big(v: u64) -> Value {
    Value::String(v.to_string())
}

/// Writes `value` as `dir/name`.
pub fn write(dir: &Path, name: &str, value: &Value) {
    let text = serde_json::to_string(value).expect("vectors serialize");
    std::fs::write(dir.join(name), text).expect("vector file written");
}

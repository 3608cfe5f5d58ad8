// XXH64 (seed 0) in 32-bit halves, for the Zstandard content checksum (RFC 8878 §3.1.1: its low 32 bits).

// The five primes, as [high, low] 32-bit halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

// Results of the 64-bit helpers (high, low), to avoid allocating pairs.
let rh = 0;
let rl = 0;

/** (ah:al) × (bh:bl) mod 2^64 into rh:rl. */
function mul(ah, al, bh, bl) {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0;
  const m2 = a0 * b1;
  const mid = (t >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  const carry = a1 * b1 + Math.floor(m1 / 65536) + Math.floor(m2 / 65536) + Math.floor(mid / 65536);
  rl = Math.imul(al, bl) >>> 0;
  rh = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 into rh:rl. */
function add(ah, al, bh, bl) {
  const lo = (al >>> 0) + (bl >>> 0);
  rl = lo >>> 0;
  rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotates (h:l) left by r (0 < r < 32) into rh:rl. */
function rotl(h, l, r) {
  rh = ((h << r) | (l >>> (32 - r))) >>> 0;
  rl = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** One accumulator round: rotl(acc + input × P2, 31) × P1, into rh:rl. */
function round(acch, accl, ih, il) {
  mul(ih, il, P2H, P2L);
  add(acch, accl, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1H, P1L);
}

/** Merges accumulator (vh:vl) into (hh:hl): (h ^ round(0, v)) × P1 + P4, into rh:rl. */
function merge(hh, hl, vh, vl) {
  round(0, 0, vh, vl);
  mul(hh ^ rh, hl ^ rl, P1H, P1L);
  add(rh, rl, P4H, P4L);
}

function u32(src, i) {
  return (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
}

/** The low 32 bits of XXH64 (seed 0) of `src[start..end)`, as an unsigned integer. */
export function xxh64Low32(src, start, end) {
  const len = end - start;
  let p = start;
  let hh, hl;
  if (len >= 32) {
    add(P1H, P1L, P2H, P2L);
    let v1h = rh, v1l = rl, v2h = P2H, v2l = P2L, v3h = 0, v3l = 0;
    let v4h = ~P1H >>> 0, v4l = (~P1L + 1) >>> 0; // −P1 (P1's low half is not zero: no carry)
    for (const last = end - 32; p <= last; p += 32) {
      round(v1h, v1l, u32(src, p + 4), u32(src, p)); v1h = rh; v1l = rl;
      round(v2h, v2l, u32(src, p + 12), u32(src, p + 8)); v2h = rh; v2l = rl;
      round(v3h, v3l, u32(src, p + 20), u32(src, p + 16)); v3h = rh; v3l = rl;
      round(v4h, v4l, u32(src, p + 28), u32(src, p + 24)); v4h = rh; v4l = rl;
    }
    rotl(v1h, v1l, 1); hh = rh; hl = rl;
    rotl(v2h, v2l, 7); add(hh, hl, rh, rl); hh = rh; hl = rl;
    rotl(v3h, v3l, 12); add(hh, hl, rh, rl); hh = rh; hl = rl;
    rotl(v4h, v4l, 18); add(hh, hl, rh, rl); hh = rh; hl = rl;
    merge(hh, hl, v1h, v1l); merge(rh, rl, v2h, v2l); merge(rh, rl, v3h, v3l); merge(rh, rl, v4h, v4l);
    hh = rh; hl = rl;
  } else {
    hh = P5H; hl = P5L;
  }
  add(hh, hl, Math.floor(len / 4294967296), len >>> 0); hh = rh; hl = rl;
  for (; p + 8 <= end; p += 8) {
    round(0, 0, u32(src, p + 4), u32(src, p));
    rotl(hh ^ rh, hl ^ rl, 27);
    mul(rh, rl, P1H, P1L);
    add(rh, rl, P4H, P4L); hh = rh; hl = rl;
  }
  if (p + 4 <= end) {
    mul(0, u32(src, p), P1H, P1L);
    rotl(hh ^ rh, hl ^ rl, 23);
    mul(rh, rl, P2H, P2L);
    add(rh, rl, P3H, P3L); hh = rh; hl = rl;
    p += 4;
  }
  for (; p < end; p++) {
    mul(0, src[p], P5H, P5L);
    rotl(hh ^ rh, hl ^ rl, 11);
    mul(rh, rl, P1H, P1L); hh = rh; hl = rl;
  }
  return avalanche(hh, hl);
}

/** The final mix: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32 (into rh:rl); returns the low half. */
function avalanche(hh, hl) {
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2H, P2L); hh = rh; hl = rl;
  hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0;
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3H, P3L);
  rl = (rl ^ rh) >>> 0;
  return rl;
}

/** The full XXH64 (seed 0) of `src` as a BigInt (tests). */
export function xxh64(src) {
  const low = xxh64Low32(src, 0, src.length);
  return (BigInt(rh) << 32n) | BigInt(low);
}

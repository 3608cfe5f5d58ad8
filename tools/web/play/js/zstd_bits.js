// Zstandard decoder (RFC 8878) bit streams: the backward bit stream of Huffman and FSE data, the forward reader of FSE table descriptions.

/** A decoding error: malformed or unsupported input. */
export function fail(what) {
  throw new Error(`zstd: ${what}`);
}

/** Index of the highest set bit of a positive 32-bit integer. */
export function highBit(v) {
  return 31 - Math.clz32(v);
}

/**
 * A backward bit stream (RFC 8878 §4.1): bytes [start, end) of `src`, read from the last byte's
 * end marker down to bit 0. `pos` counts the bits left; reading past bit 0 yields zeros and makes
 * `pos` negative, which the owner reports as corruption (see `finish`).
 */
export class BackwardBits {
  constructor(src, start, end) {
    if (end <= start) fail('empty bit stream');
    const last = src[end - 1];
    if (last === 0) fail('bit stream without an end marker');
    this.src = src;
    this.start = start;
    this.end = end;
    this.pos = (end - 1 - start) * 8 + highBit(last);
  }

  /** Reads `n` bits (0 ≤ n ≤ 24) as an integer, the first bit read the most significant. */
  read(n) {
    this.pos -= n;
    return bitsAt(this.src, this.start, this.end, this.pos, n);
  }

  /** Reads `n` bits (0 ≤ n ≤ 30). */
  readLong(n) {
    if (n <= 24) return this.read(n);
    const high = this.read(n - 16);
    return (high << 16) | this.read(16);
  }

  /** Throws unless the stream was read exactly to its first bit. */
  finish(what) {
    if (this.pos !== 0) fail(`${what}: bit stream ${this.pos < 0 ? 'overread' : 'not fully read'}`);
  }
}

/**
 * The `n` bits (0 ≤ n ≤ 24) at bit `pos` of the backward stream `src[start..end)`: bits below
 * bit 0 read as zeros, bytes past `end` are never read. Hot loops keep `pos` in a local; this
 * stays small so that it is inlined there.
 */
export function bitsAt(src, start, end, pos, n) {
  const b = start + (pos >> 3);
  if (pos >= 0 && b + 3 < end) {
    return ((src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24)) >>> (pos & 7)) & ((1 << n) - 1);
  }
  return bitsAtEdge(src, start, end, pos, n);
}

/** `bitsAt` in the stream's last 4 bytes or reaching below bit 0 (shifted up over zeros). */
function bitsAtEdge(src, start, end, pos, n) {
  if (pos < 0) {
    const have = pos + n;
    return have <= 0 ? 0 : bitsAtEdge(src, start, end, 0, have) << (n - have);
  }
  const b = start + (pos >> 3);
  let w = 0;
  for (let i = 0; i < 4 && b + i < end; i++) w |= src[b + i] << (8 * i);
  return (w >>> (pos & 7)) & ((1 << n) - 1);
}

/** A forward bit stream (RFC 8878 §4.1.1, FSE table descriptions): bits of `src` from `start`, LSB first. */
export class ForwardBits {
  constructor(src, start, end) {
    this.src = src;
    this.start = start;
    this.end = end;
    this.bit = 0;
  }

  /** The next `n` bits (n ≤ 24) without consuming them; bytes past the end read as zero. */
  peek(n) {
    const b = this.start + (this.bit >> 3);
    let w = 0;
    for (let i = 0; i < 4 && b + i < this.end; i++) w |= this.src[b + i] << (8 * i);
    return (w >>> (this.bit & 7)) & ((1 << n) - 1);
  }

  skip(n) {
    this.bit += n;
    if (this.start + ((this.bit + 7) >> 3) > this.end) fail('FSE table description runs past its data');
  }

  read(n) {
    const v = this.peek(n);
    this.skip(n);
    return v;
  }

  /** Bytes used so far (whole bytes). */
  bytesUsed() {
    return (this.bit + 7) >> 3;
  }
}

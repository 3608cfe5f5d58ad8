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

  /** The 32 bits of the stream from byte `b` on (bytes past the stream read as zero). */
  word(b) {
    const src = this.src;
    if (b + 3 < this.end) return src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24);
    let w = 0;
    for (let i = 0; i < 4 && b + i < this.end; i++) w |= src[b + i] << (8 * i);
    return w;
  }

  /** Reads `n` bits (0 ≤ n ≤ 24) as an integer, the first bit read the most significant. */
  read(n) {
    if (n === 0) return 0;
    const p = this.pos - n;
    this.pos = p;
    if (p >= 0) return (this.word(this.start + (p >> 3)) >>> (p & 7)) & ((1 << n) - 1);
    const have = p + n;
    if (have <= 0) return 0;
    return (this.word(this.start) & ((1 << have) - 1)) << (n - have);
  }

  /** Reads `n` bits (0 ≤ n ≤ 31); the result may exceed 2^30, so it is a plain number. */
  readLong(n) {
    if (n <= 24) return this.read(n);
    const high = this.read(n - 16);
    return high * 65536 + this.read(16);
  }

  /** Throws unless the stream was read exactly to its first bit. */
  finish(what) {
    if (this.pos !== 0) fail(`${what}: bit stream ${this.pos < 0 ? 'overread' : 'not fully read'}`);
  }
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

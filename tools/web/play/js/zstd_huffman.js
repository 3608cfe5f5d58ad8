// Zstandard decoder (RFC 8878) Huffman literals: tree descriptions (§4.2.1), decoding tables, 1- and 4-stream decoding (§4.2.2).

import { BackwardBits, fail, highBit } from './zstd_bits.js';
import { readFseTable } from './zstd_fse.js';

/** Scratch (decoding is synchronous): weights by symbol, start of each weight's entries. */
const WEIGHTS = new Uint8Array(256);
const RANK_START = new Uint32Array(13);
/** Longest Huffman code zstd allows. */
const MAX_BITS = 11;
/** Accuracy log limit of the FSE-compressed weights. */
const WEIGHT_LOG = 6;

/**
 * A Huffman decoding table indexed by the next `bits` bits of a stream: each entry packs the
 * symbol (high byte) and its code length (low byte).
 */
export class HuffmanTable {
  constructor(bits) {
    this.bits = bits;
    this.entries = new Uint16Array(1 << bits);
  }
}

/** Reads a Huffman tree description at `src[pos..end)`: returns `{ table, size }`. */
export function readHuffmanTable(src, pos, end) {
  if (pos >= end) fail('missing Huffman tree description');
  const header = src[pos];
  const weights = WEIGHTS;
  let count;
  let size;
  if (header < 128) {
    size = 1 + header;
    if (pos + size > end) fail('Huffman weights run past the literals');
    count = fseWeights(src, pos + 1, pos + size, weights);
  } else {
    count = header - 127;
    size = 1 + ((count + 1) >> 1);
    if (pos + size > end) fail('Huffman weights run past the literals');
    for (let i = 0; i < count; i++) {
      const byte = src[pos + 1 + (i >> 1)];
      weights[i] = i & 1 ? byte & 15 : byte >> 4;
    }
  }
  return { table: buildHuffmanTable(weights, count), size };
}

/** Decodes FSE-compressed weights from `src[start..end)` into `weights`; returns their count. */
function fseWeights(src, start, end, weights) {
  if (start >= end) fail('empty Huffman weights');
  const { table, size } = readFseTable(src, start, end, 255, WEIGHT_LOG);
  const bits = new BackwardBits(src, start + size, end);
  const entries = table.entries;
  let s1 = bits.read(table.log);
  let s2 = bits.read(table.log);
  let n = 0;
  // Two states take turns; when an update reads past the stream, the other state's symbol ends it.
  for (;;) {
    if (n > 253) fail('too many Huffman weights');
    let e = entries[s1];
    weights[n++] = e & 255;
    s1 = (e >>> 16) + bits.read((e >> 8) & 255);
    if (bits.pos < 0) {
      weights[n++] = entries[s2] & 255;
      break;
    }
    if (n > 253) fail('too many Huffman weights');
    e = entries[s2];
    weights[n++] = e & 255;
    s2 = (e >>> 16) + bits.read((e >> 8) & 255);
    if (bits.pos < 0) {
      weights[n++] = entries[s1] & 255;
      break;
    }
  }
  return n;
}

/** Builds the decoding table from `count` explicit weights; the last symbol's weight is implied. */
function buildHuffmanTable(weights, count) {
  if (count > 255) fail('too many Huffman symbols');
  let total = 0;
  for (let s = 0; s < count; s++) {
    const w = weights[s];
    if (w > MAX_BITS) fail(`Huffman weight ${w} over ${MAX_BITS}`);
    if (w) total += 1 << (w - 1);
  }
  if (total === 0) fail('Huffman weights are all zero');
  const bits = highBit(total) + 1;
  if (bits > MAX_BITS) fail('Huffman code longer than 11 bits');
  const rest = (1 << bits) - total;
  if (rest & (rest - 1)) fail('Huffman weights do not complete a tree');
  weights[count] = highBit(rest) + 1;
  const symbols = count + 1;
  // Entries are laid out by weight (shortest codes last), then by symbol.
  const start = RANK_START;
  start.fill(0);
  for (let s = 0; s < symbols; s++) if (weights[s]) start[weights[s] + 1] += 1 << (weights[s] - 1);
  for (let w = 1; w <= MAX_BITS + 1; w++) start[w] += start[w - 1];
  const table = new HuffmanTable(bits);
  for (let s = 0; s < symbols; s++) {
    const w = weights[s];
    if (!w) continue;
    const length = 1 << (w - 1);
    const entry = (s << 8) | (bits + 1 - w);
    const entries = table.entries;
    for (let i = start[w], stop = i + length; i < stop; i++) entries[i] = entry;
    start[w] += length;
  }
  return table;
}

/**
 * Decodes `count` literals into `out[at..]` from 1 or 4 Huffman streams at `src[start..end)`.
 */
export function decodeHuffmanLiterals(table, src, start, end, fourStreams, out, at, count) {
  if (!fourStreams) {
    decodeStream(table, src, start, end, out, at, count);
    return;
  }
  if (end - start < 10) fail('4-stream literals too short for their jump table');
  const s1 = src[start] | (src[start + 1] << 8);
  const s2 = src[start + 2] | (src[start + 3] << 8);
  const s3 = src[start + 4] | (src[start + 5] << 8);
  const b1 = start + 6;
  const b2 = b1 + s1;
  const b3 = b2 + s2;
  const b4 = b3 + s3;
  if (b4 >= end) fail('4-stream literals jump table points past the streams');
  const segment = (count + 3) >> 2;
  const last = count - 3 * segment;
  if (last < 0) fail('4-stream literals too few for 4 streams');
  decodeStream(table, src, b1, b2, out, at, segment);
  decodeStream(table, src, b2, b3, out, at + segment, segment);
  decodeStream(table, src, b3, b4, out, at + 2 * segment, segment);
  decodeStream(table, src, b4, end, out, at + 3 * segment, last);
}

/** One Huffman stream (a backward bit stream) to exactly `count` symbols. */
function decodeStream(table, src, start, end, out, at, count) {
  const stream = new BackwardBits(src, start, end);
  const bits = table.bits;
  const entries = table.entries;
  const mask = (1 << bits) - 1;
  const fastEnd = end - 3;
  let pos = stream.pos;
  let o = at;
  const stop = at + count;
  // Fast path: the three bytes holding the next code are inside the stream.
  while (o < stop) {
    const p = pos - bits;
    if (p < 0) break;
    const b = start + (p >> 3);
    if (b >= fastEnd) {
      stream.pos = pos;
      const entry = entries[stream.read(bits)];
      pos = stream.pos + bits - (entry & 255);
      out[o++] = entry >> 8;
      continue;
    }
    const entry = entries[((src[b] | (src[b + 1] << 8) | (src[b + 2] << 16)) >>> (p & 7)) & mask];
    out[o++] = entry >> 8;
    pos -= entry & 255;
  }
  // The tail: fewer than `bits` bits left, zeros below them.
  stream.pos = pos;
  while (o < stop) {
    const before = stream.pos;
    const entry = entries[stream.read(bits)];
    stream.pos = before - (entry & 255);
    out[o++] = entry >> 8;
    if (stream.pos < 0) break;
  }
  if (o !== stop) fail('Huffman stream ends before its literals');
  stream.finish('Huffman literals');
}

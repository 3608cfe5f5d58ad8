// Zstandard decoder (RFC 8878) FSE: table descriptions (§4.1.1), decoding tables, the predefined sequence distributions (§3.1.1.3.2.2).

import { ForwardBits, fail, highBit } from './zstd_bits.js';

/**
 * An FSE decoding table: for each state, packed in one integer, its symbol (bits 0–7), the bits
 * to read for the next state (bits 8–15) and the baseline they are added to (bits 16–31).
 * `log` is the accuracy log (the bits of the initial state).
 */
export class FseTable {
  constructor(log) {
    this.log = log;
    this.entries = new Int32Array(1 << log);
  }
}

/** Scratch for reading and building tables (decoding is synchronous). */
const COUNTS = new Int16Array(256);
const SYMBOLS = new Uint8Array(512);
const NEXT = new Uint16Array(256);

/**
 * Reads an FSE table description at `src[pos..end)`: returns `{ table, size }` (size: bytes
 * used). Symbols above `maxSymbol` or an accuracy log above `maxLog` are corruption.
 */
export function readFseTable(src, pos, end, maxSymbol, maxLog) {
  const bits = new ForwardBits(src, pos, end);
  const log = bits.read(4) + 5;
  if (log > maxLog) fail(`FSE accuracy log ${log} over ${maxLog}`);
  const counts = COUNTS;
  counts.fill(0, 0, maxSymbol + 1);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let width = log + 1;
  let symbol = 0;
  while (remaining > 1) {
    if (symbol > maxSymbol) fail('FSE table description has too many symbols');
    const max = 2 * threshold - 1 - remaining;
    let value = bits.peek(width);
    if ((value & (threshold - 1)) < max) {
      value &= threshold - 1;
      bits.skip(width - 1);
    } else {
      if (value >= threshold) value -= max;
      bits.skip(width);
    }
    const count = value - 1;
    remaining -= count < 0 ? -count : count;
    counts[symbol++] = count;
    if (count === 0) symbol = skipZeros(bits, symbol, maxSymbol);
    while (remaining < threshold) {
      width--;
      threshold >>= 1;
    }
  }
  if (remaining !== 1) fail('FSE table description does not sum to its accuracy');
  return { table: buildFseTable(counts, symbol - 1, log), size: bits.bytesUsed() };
}

/** After a zero count: 2-bit repeat flags (3 = three more zeros and another flag). */
function skipZeros(bits, symbol, maxSymbol) {
  for (;;) {
    const repeat = bits.read(2);
    symbol += repeat;
    if (symbol > maxSymbol + 1) fail('FSE zero run past the last symbol');
    if (repeat !== 3) return symbol;
  }
}

/** Builds the decoding table of normalised counts `counts[0..last]` (−1: "less than one"). */
export function buildFseTable(counts, last, log) {
  const table = new FseTable(log);
  const size = 1 << log;
  const next = NEXT;
  const symbols = SYMBOLS;
  let high = size - 1;
  for (let s = 0; s <= last; s++) {
    if (counts[s] === -1) {
      if (high < 0) fail('FSE table overfull');
      symbols[high--] = s;
      next[s] = 1;
    } else {
      next[s] = counts[s];
    }
  }
  const step = (size >> 1) + (size >> 3) + 3;
  const mask = size - 1;
  let position = 0;
  for (let s = 0; s <= last; s++) {
    for (let i = 0; i < counts[s]; i++) {
      symbols[position] = s;
      do position = (position + step) & mask;
      while (position > high);
    }
  }
  if (position !== 0) fail('FSE table spread is inconsistent');
  for (let state = 0; state < size; state++) {
    const symbol = symbols[state];
    const n = next[symbol]++;
    const bits = log - highBit(n);
    table.entries[state] = symbol | (bits << 8) | (((n << bits) - size) << 16);
  }
  return table;
}

/** A one-symbol table (RLE mode): every state is `symbol`, no bits read. */
export function rleTable(symbol) {
  const table = new FseTable(0);
  table.entries[0] = symbol;
  return table;
}

// Predefined distributions of literal lengths, match lengths and offset codes (RFC 8878 §3.1.1.3.2.2).
const LL_DEFAULT = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1];
const ML_DEFAULT = [1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1];
const OF_DEFAULT = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];

/** The predefined tables, built once. */
export const PREDEFINED = {
  literalLengths: buildFseTable(Int16Array.from(LL_DEFAULT), LL_DEFAULT.length - 1, 6),
  matchLengths: buildFseTable(Int16Array.from(ML_DEFAULT), ML_DEFAULT.length - 1, 6),
  offsets: buildFseTable(Int16Array.from(OF_DEFAULT), OF_DEFAULT.length - 1, 5),
};

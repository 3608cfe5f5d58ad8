// Zstandard decoder (RFC 8878) sequences section (§3.1.1.3.2) and sequence execution (§3.1.1.4): literal copies, matches, repeat offsets.

import { BackwardBits, bitsAt, fail } from './zstd_bits.js';
import { PREDEFINED, readFseTable, rleTable } from './zstd_fse.js';

// Literal length and match length codes: baseline and extra bits (RFC 8878 §3.1.1.3.2.1.1).
const LL_BASE = Uint32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40,
  48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536);
const LL_BITS = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9,
  10, 11, 12, 13, 14, 15, 16);
const ML_BASE = Uint32Array.of(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
  27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195,
  16387, 32771, 65539);
const ML_BITS = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
/** Offset codes above this give offsets beyond any output this decoder keeps (1 GiB). */
const OF_CODE_LIMIT = 29;

const LL_MAX = 35;
const ML_MAX = 52;
const OF_MAX = 31;

/**
 * Picks one of a block's three decoding tables (mode: 0 predefined, 1 RLE, 2 FSE-compressed,
 * 3 repeat); returns `{ table, pos }` with `pos` after what was read.
 */
function selectTable(mode, src, pos, end, predefined, previous, maxSymbol, maxLog, what) {
  switch (mode) {
    case 0:
      return { table: predefined, pos };
    case 1:
      if (pos >= end) fail(`${what}: missing RLE symbol`);
      if (src[pos] > maxSymbol) fail(`${what}: RLE symbol ${src[pos]} over ${maxSymbol}`);
      return { table: rleTable(src[pos]), pos: pos + 1 };
    case 2: {
      const { table, size } = readFseTable(src, pos, end, maxSymbol, maxLog);
      return { table, pos: pos + size };
    }
    default:
      if (!previous) fail(`${what}: repeat mode without a previous table`);
      return { table: previous, pos };
  }
}

/** Reads Number_of_Sequences at `src[pos]`; returns `{ count, pos }`. */
function readCount(src, pos, end) {
  if (pos >= end) fail('missing sequences section');
  const b0 = src[pos];
  if (b0 < 128) return { count: b0, pos: pos + 1 };
  if (b0 < 255) {
    if (pos + 2 > end) fail('truncated sequence count');
    return { count: ((b0 - 128) << 8) + src[pos + 1], pos: pos + 2 };
  }
  if (pos + 3 > end) fail('truncated sequence count');
  return { count: src[pos + 1] + (src[pos + 2] << 8) + 0x7f00, pos: pos + 3 };
}

/**
 * Decodes the sequences section at `src[pos..end)` and executes it: literals come from
 * `lit[litPos..litEnd)`, output goes to `frame.out` from `frame.op`, never past `frame.limit`.
 * `frame` also keeps the repeat offsets and the previous tables between blocks.
 */
export function decodeSequences(frame, src, pos, end, lit, litPos, litEnd) {
  const head = readCount(src, pos, end);
  const count = head.count;
  pos = head.pos;
  if (count === 0) {
    if (pos !== end) fail('bytes after an empty sequences section');
    copyLiterals(frame, lit, litPos, litEnd - litPos);
    return;
  }
  if (pos >= end) fail('missing symbol compression modes');
  const modes = src[pos++];
  if (modes & 3) fail('reserved bits set in symbol compression modes');
  const ll = selectTable(modes >> 6, src, pos, end, PREDEFINED.literalLengths, frame.llTable, LL_MAX, 9,
    'literal lengths');
  const of = selectTable((modes >> 4) & 3, src, ll.pos, end, PREDEFINED.offsets, frame.ofTable, OF_MAX, 8,
    'offsets');
  const ml = selectTable((modes >> 2) & 3, src, of.pos, end, PREDEFINED.matchLengths, frame.mlTable, ML_MAX, 9,
    'match lengths');
  frame.llTable = ll.table;
  frame.ofTable = of.table;
  frame.mlTable = ml.table;
  const bits = new BackwardBits(src, ml.pos, end);
  litPos = run(frame, bits, count, lit, litPos, litEnd);
  bits.finish('sequences');
  copyLiterals(frame, lit, litPos, litEnd - litPos);
}

/** Decodes and executes `count` sequences; returns the literal position after the last one. */
function run(frame, bits, count, lit, litPos, litEnd) {
  const llT = frame.llTable;
  const ofT = frame.ofTable;
  const mlT = frame.mlTable;
  const llE = llT.entries;
  const ofE = ofT.entries;
  const mlE = mlT.entries;
  let llState = bits.read(llT.log);
  let ofState = bits.read(ofT.log);
  let mlState = bits.read(mlT.log);
  // The bit position lives in a local: `pos -= n; bitsAt(src, start, end, pos, n)` reads n bits.
  const { src, start, end } = bits;
  let pos = bits.pos;
  const reps = frame.reps;
  let r1 = reps[0];
  let r2 = reps[1];
  let r3 = reps[2];
  const out = frame.out;
  const limit = frame.limit;
  const frameStart = frame.start;
  let op = frame.op;
  for (let i = 0; i < count; i++) {
    const ofEntry = ofE[ofState];
    const mlEntry = mlE[mlState];
    const llEntry = llE[llState];
    const ofCode = ofEntry & 255;
    const mlCode = mlEntry & 255;
    const llCode = llEntry & 255;
    let offsetValue;
    if (ofCode <= 24) {
      pos -= ofCode;
      offsetValue = (1 << ofCode) + bitsAt(src, start, end, pos, ofCode);
    } else {
      if (ofCode > OF_CODE_LIMIT) fail(`offset code ${ofCode} beyond the window`);
      bits.pos = pos;
      offsetValue = (1 << ofCode) + bits.readLong(ofCode);
      pos = bits.pos;
    }
    let n = ML_BITS[mlCode];
    pos -= n;
    const matchLength = ML_BASE[mlCode] + bitsAt(src, start, end, pos, n);
    n = LL_BITS[llCode];
    pos -= n;
    const literalLength = LL_BASE[llCode] + bitsAt(src, start, end, pos, n);
    let offset;
    if (offsetValue > 3) {
      offset = offsetValue - 3;
      r3 = r2;
      r2 = r1;
      r1 = offset;
    } else {
      const index = offsetValue - 1 + (literalLength === 0 ? 1 : 0);
      if (index === 0) {
        offset = r1;
      } else {
        offset = index === 1 ? r2 : index === 2 ? r3 : r1 - 1;
        if (offset === 0) fail('repeat offset of zero');
        if (index !== 1) r3 = r2;
        r2 = r1;
        r1 = offset;
      }
    }
    if (i + 1 < count) {
      n = (llEntry >> 8) & 255;
      pos -= n;
      llState = (llEntry >>> 16) + bitsAt(src, start, end, pos, n);
      n = (mlEntry >> 8) & 255;
      pos -= n;
      mlState = (mlEntry >>> 16) + bitsAt(src, start, end, pos, n);
      n = (ofEntry >> 8) & 255;
      pos -= n;
      ofState = (ofEntry >>> 16) + bitsAt(src, start, end, pos, n);
    }
    if (literalLength > litEnd - litPos) fail('a sequence uses more literals than the block has');
    if (op + literalLength + matchLength > limit) fail(`output over ${frame.limitWhat}`);
    if (literalLength > 64) {
      out.set(lit.subarray(litPos, litPos + literalLength), op);
      op += literalLength;
      litPos += literalLength;
    } else {
      for (let k = 0; k < literalLength; k++) out[op++] = lit[litPos++];
    }
    if (offset > op - frameStart) fail('match offset reaches before the start of the frame');
    op = copyMatch(out, op, offset, matchLength);
  }
  bits.pos = pos;
  reps[0] = r1;
  reps[1] = r2;
  reps[2] = r3;
  frame.op = op;
  return litPos;
}

/** Copies `length` bytes from `offset` back (overlapping copies repeat the pattern); returns the new end. */
function copyMatch(out, op, offset, length) {
  const end = op + length;
  if (length < 32) {
    for (let from = op - offset; op < end; ) out[op++] = out[from++];
    return end;
  }
  if (offset === 1) {
    out.fill(out[op - 1], op, end);
    return end;
  }
  // Bytes from `op - offset` on repeat with period `offset`: copy chunks of offset, 2×offset, ...
  const from = op - offset;
  for (let step = offset; op < end; step *= 2) {
    const n = Math.min(step, end - op);
    out.copyWithin(op, from, from + n);
    op += n;
  }
  return end;
}

/** Appends `length` literals from `lit[litPos..]`. */
export function copyLiterals(frame, lit, litPos, length) {
  if (frame.op + length > frame.limit) fail(`output over ${frame.limitWhat}`);
  frame.out.set(lit.subarray(litPos, litPos + length), frame.op);
  frame.op += length;
}

// Zstandard (RFC 8878) decoder, written for the play page: ChunkData payloads are zstd frames and the browser's DecompressionStream has no zstd.

import { fail } from './zstd_bits.js';
import { decodeHuffmanLiterals, readHuffmanTable } from './zstd_huffman.js';
import { decodeSequences } from './zstd_sequences.js';
import { xxh64Low32 } from './zstd_xxh64.js';

const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Largest block content (RFC 8878 §3.1.1.2.4). */
const BLOCK_MAX = 128 * 1024;
/** Largest output without a `rawLen`. */
const OUTPUT_MAX = 1 << 30;
/** Largest output buffer allocated up front (from rawLen or a declared content size). */
const EAGER_MAX = 1 << 24;

/** Literals of a compressed block (shared scratch: decoding is synchronous). */
const literals = new Uint8Array(BLOCK_MAX);

/**
 * Decodes one or more concatenated zstd frames (skippable frames skipped). With `rawLen`, output
 * longer than `rawLen` is an error. Throws `Error` ("zstd: ...") on malformed or unsupported
 * input (dictionaries).
 */
export function decompress(src, rawLen) {
  if (!(src instanceof Uint8Array)) throw new TypeError('zstd: input must be a Uint8Array');
  const bounded = rawLen !== undefined;
  if (bounded && !(Number.isInteger(rawLen) && rawLen >= 0)) throw new RangeError('zstd: bad rawLen');
  // The output grows as needed up to `max`; with rawLen it is allocated once in the usual case.
  const sink = {
    out: new Uint8Array(bounded ? Math.min(rawLen, EAGER_MAX) : 0),
    op: 0,
    max: bounded ? rawLen : OUTPUT_MAX,
    maxWhat: bounded ? `rawLen ${rawLen}` : 'the 1 GiB output limit',
  };
  let pos = 0;
  if (src.length === 0) fail('empty input');
  while (pos < src.length) {
    if (pos + 4 > src.length) fail('truncated frame magic');
    const magic = readU32(src, pos);
    if (magic === FRAME_MAGIC) {
      pos = decodeFrame(src, pos + 4, sink);
    } else if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (pos + 8 > src.length) fail('truncated skippable frame');
      pos += 8 + readU32(src, pos + 4);
      if (pos > src.length) fail('truncated skippable frame');
    } else {
      fail(`bad frame magic 0x${magic.toString(16)}`);
    }
  }
  return sink.op === sink.out.length ? sink.out : sink.out.slice(0, sink.op);
}

function readU32(src, i) {
  return (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
}

/** Parses a frame header at `src[pos..]` (after the magic); returns it with `pos` after it. */
function readFrameHeader(src, pos) {
  if (pos >= src.length) fail('truncated frame header');
  const descriptor = src[pos++];
  const sizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  if (descriptor & 8) fail('reserved bit set in frame header');
  const checksum = (descriptor >> 2) & 1;
  const dictBytes = [0, 1, 2, 4][descriptor & 3];
  const sizeBytes = [singleSegment, 2, 4, 8][sizeFlag];
  if (pos + (singleSegment ? 0 : 1) + dictBytes + sizeBytes > src.length) fail('truncated frame header');
  let windowSize = 0;
  if (!singleSegment) {
    const w = src[pos++];
    const base = 2 ** (10 + (w >> 3));
    windowSize = base + (base / 8) * (w & 7);
  }
  let dictionary = 0;
  for (let i = 0; i < dictBytes; i++) dictionary += src[pos++] * 2 ** (8 * i);
  if (dictionary !== 0) fail(`frame needs dictionary ${dictionary}; dictionaries are not supported`);
  let contentSize = -1;
  if (sizeBytes > 0) {
    contentSize = 0;
    for (let i = 0; i < sizeBytes; i++) contentSize += src[pos++] * 2 ** (8 * i);
    if (sizeBytes === 2) contentSize += 256;
  }
  if (singleSegment) windowSize = contentSize;
  return { pos, windowSize, contentSize, checksum };
}

/** Decodes one frame's header, blocks and checksum into `sink`; returns the position after it. */
function decodeFrame(src, pos, sink) {
  const header = readFrameHeader(src, pos);
  pos = header.pos;
  const start = sink.op;
  if (header.contentSize >= 0) {
    if (start + header.contentSize > sink.max) fail(`frame content size ${header.contentSize} over ${sink.maxWhat}`);
    reserve(sink, Math.min(start + header.contentSize, EAGER_MAX));
  }
  const frame = {
    out: sink.out,
    op: start,
    start,
    limit: 0,
    limitWhat: '',
    reps: [1, 4, 8],
    llTable: null,
    ofTable: null,
    mlTable: null,
    huffman: null,
  };
  const blockMax = Math.min(header.windowSize, BLOCK_MAX);
  const frameEnd = header.contentSize >= 0 ? start + header.contentSize : Infinity;
  for (let last = 0; !last; ) {
    if (pos + 3 > src.length) fail('truncated block header');
    const bh = src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16);
    pos += 3;
    last = bh & 1;
    const type = (bh >> 1) & 3;
    const size = bh >>> 3;
    if (type === 3) fail('reserved block type');
    const packed = type === 1 ? 1 : size;
    if (packed > blockMax && type !== 1) fail(`block of ${size} bytes over the block maximum ${blockMax}`);
    if (pos + packed > src.length) fail('truncated block');
    setLimit(frame, sink, blockMax, frameEnd);
    if (type === 0) {
      copyBlock(frame, src.subarray(pos, pos + size));
    } else if (type === 1) {
      if (size > blockMax) fail(`RLE block of ${size} bytes over the block maximum`);
      if (frame.op + size > frame.limit) fail(`output over ${frame.limitWhat}`);
      frame.out.fill(src[pos], frame.op, frame.op + size);
      frame.op += size;
    } else {
      decodeCompressedBlock(frame, src, pos, pos + size, blockMax);
    }
    pos += packed;
  }
  sink.op = frame.op;
  if (header.contentSize >= 0 && frame.op - start !== header.contentSize) {
    fail(`frame decoded to ${frame.op - start} bytes, its header says ${header.contentSize}`);
  }
  if (header.checksum) {
    if (pos + 4 > src.length) fail('truncated content checksum');
    if (xxh64Low32(sink.out, start, frame.op) !== readU32(src, pos)) fail('content checksum mismatch');
    pos += 4;
  }
  return pos;
}

/** Makes room for this block and sets the frame's output limit: rawLen, the frame's size, the block maximum. */
function setLimit(frame, sink, blockMax, frameEnd) {
  let limit = frame.op + blockMax;
  let what = 'the block maximum';
  if (frameEnd < limit) {
    limit = frameEnd;
    what = 'the frame content size';
  }
  if (sink.max < limit) {
    limit = sink.max;
    what = sink.maxWhat;
  }
  sink.op = frame.op;
  reserve(sink, limit);
  frame.out = sink.out;
  frame.limit = limit;
  frame.limitWhat = what;
}

/** Grows a growable output buffer to at least `size` bytes. */
function reserve(sink, size) {
  if (sink.out.length >= size) return;
  const grown = new Uint8Array(Math.max(size, Math.min(sink.max, sink.out.length * 2)));
  grown.set(sink.out.subarray(0, sink.op));
  sink.out = grown;
}

function copyBlock(frame, bytes) {
  if (frame.op + bytes.length > frame.limit) fail(`output over ${frame.limitWhat}`);
  frame.out.set(bytes, frame.op);
  frame.op += bytes.length;
}

/** A compressed block at `src[pos..end)`: literals section, then sequences section. */
function decodeCompressedBlock(frame, src, pos, end, blockMax) {
  if (pos >= end) fail('empty compressed block');
  const b0 = src[pos];
  const type = b0 & 3;
  const format = (b0 >> 2) & 3;
  if (type <= 1) {
    // Raw or RLE literals: 5, 12 or 20 bits of size.
    const headerSize = format === 1 ? 2 : format === 3 ? 3 : 1;
    if (pos + headerSize > end) fail('truncated literals header');
    let size = b0 >> 3;
    if (format === 1) size = (b0 >> 4) + (src[pos + 1] << 4);
    if (format === 3) size = (b0 >> 4) + (src[pos + 1] << 4) + (src[pos + 2] << 12);
    if (size > blockMax) fail('literals over the block maximum');
    pos += headerSize;
    if (type === 0) {
      if (pos + size > end) fail('truncated raw literals');
      decodeSequences(frame, src, pos + size, end, src, pos, pos + size);
    } else {
      if (pos >= end) fail('truncated RLE literals');
      literals.fill(src[pos], 0, size);
      decodeSequences(frame, src, pos + 1, end, literals, 0, size);
    }
    return;
  }
  const { size, packed, streams, headerSize } = readCompressedLiteralsHeader(src, pos, end);
  if (size > blockMax) fail('literals over the block maximum');
  pos += headerSize;
  if (pos + packed > end) fail('truncated compressed literals');
  let at = pos;
  if (type === 2) {
    const tree = readHuffmanTable(src, pos, pos + packed);
    frame.huffman = tree.table;
    at += tree.size;
  } else if (!frame.huffman) {
    fail('treeless literals without a previous Huffman table');
  }
  decodeHuffmanLiterals(frame.huffman, src, at, pos + packed, streams === 4, literals, 0, size);
  decodeSequences(frame, src, pos + packed, end, literals, 0, size);
}

/** Compressed or treeless literals header: sizes of 10, 14 or 18 bits, 1 or 4 streams. */
function readCompressedLiteralsHeader(src, pos, end) {
  const format = (src[pos] >> 2) & 3;
  const headerSize = format <= 1 ? 3 : format + 2;
  if (pos + headerSize > end) fail('truncated literals header');
  const word = readU32Partial(src, pos, Math.min(headerSize, 4));
  const streams = format === 0 ? 1 : 4;
  if (headerSize === 3) return { size: (word >>> 4) & 0x3ff, packed: (word >>> 14) & 0x3ff, streams, headerSize };
  if (headerSize === 4) return { size: (word >>> 4) & 0x3fff, packed: (word >>> 18) & 0x3fff, streams, headerSize };
  return { size: (word >>> 4) & 0x3ffff, packed: (word >>> 22) + (src[pos + 4] << 10), streams, headerSize };
}

function readU32Partial(src, pos, n) {
  let w = 0;
  for (let i = 0; i < n; i++) w |= src[pos + i] << (8 * i);
  return w >>> 0;
}

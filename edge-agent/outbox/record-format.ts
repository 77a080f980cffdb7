import * as zlib from 'node:zlib';
import type { OutboxEvent } from './pending-events.js';

/**
 * The on-disk framing of the durable outbox, written by hand.
 *
 * No embedded database fits here: SQLite (better-sqlite3) and LevelDB/RocksDB need a native build on the
 * Pi (no prebuilt binary for every Pi OS/Node pair, and a compiler on a kiosk is a liability); they decide
 * themselves when to fsync (ThingsBoard's SQLite queue acknowledged before commit), and their page/WAL
 * checkpoints and compactions rewrite far more than we append, which wears an SD card. An append-only log
 * of framed records gives exactly one write and one fdatasync per group commit, and a recovery we can test
 * byte by byte.
 *
 * File = 8-byte header, then frames:
 *
 *   magic (4: FF 54 42 6F) | body length (u32 LE) | CRC-32 of (length bytes ‖ body) (u32 LE) | body
 *
 * The CRC covers the length so a torn or flipped length is caught too. The magic starts with 0xFF, a byte
 * that never occurs in UTF-8 text (ids, topics and payloads are text), so after a damaged frame the reader
 * can resynchronise on the next magic whose frame checks out, and skip only the damaged record.
 *
 * Event body: type 1 | acceptedAt (f64 LE) | id length (u16) | id | topic length (u16) | topic
 *             | payload length (u32) | payload            (strings in UTF-8)
 * Ack body:   type 2 | record offsets (u32 LE each) within the segment the ack file belongs to.
 */
export const SEGMENT_HEADER = Buffer.from('TBOXSEG1', 'latin1');
export const ACK_HEADER = Buffer.from('TBOXACK1', 'latin1');
export const FILE_HEADER_BYTES = 8;
export const RECORD_MAGIC = Buffer.from([0xff, 0x54, 0x42, 0x6f]);
export const FRAME_OVERHEAD = 12;
/** A length beyond this is damage, not a record: never allocate or trust it. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const TYPE_EVENT = 1;
const TYPE_ACK = 2;

type Crc32 = (data: Uint8Array, value?: number) => number;
/** node:zlib has crc32 since Node 20.15 / 22.2; engines allow any Node 20, so older ones use the table below. */
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;
/** The same CRC-32 (IEEE, reflected, as zlib and PNG) computed with a 256-entry table; chainable like zlib.crc32. */
export function tableCrc32(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** zlib returns 0 for an empty buffer whatever the running value; an empty chunk must leave the value as is. */
export const crc32: Crc32 = nativeCrc32 ? (data, value = 0) => (data.length === 0 ? value : nativeCrc32(data, value)) : tableCrc32;

function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD + body.length);
  RECORD_MAGIC.copy(out, 0);
  out.writeUInt32LE(body.length, 4);
  body.copy(out, FRAME_OVERHEAD);
  out.writeUInt32LE(crc32(body, crc32(out.subarray(4, 8))), 8);
  return out;
}

/** The whole frame of one event; throws on what could not be read back identically. */
export function encodeEvent(event: OutboxEvent): Buffer {
  if (typeof event.id !== 'string' || event.id.length === 0) throw new TypeError('an outbox event needs a non-empty string id');
  if (typeof event.topic !== 'string' || typeof event.payload !== 'string') throw new TypeError(`event ${event.id}: topic and payload must be strings`);
  if (!Number.isFinite(event.acceptedAt)) throw new TypeError(`event ${event.id}: acceptedAt must be a finite number`);
  const id = Buffer.from(event.id, 'utf8');
  const topic = Buffer.from(event.topic, 'utf8');
  const payload = Buffer.from(event.payload, 'utf8');
  if (id.length > 0xffff || topic.length > 0xffff) throw new RangeError(`event ${event.id}: id and topic are limited to 65535 bytes`);
  const body = Buffer.allocUnsafe(1 + 8 + 2 + id.length + 2 + topic.length + 4 + payload.length);
  if (body.length > MAX_BODY_BYTES) throw new RangeError(`event ${event.id}: ${body.length} bytes is more than one record may hold (${MAX_BODY_BYTES})`);
  let p = body.writeUInt8(TYPE_EVENT, 0);
  p = body.writeDoubleLE(event.acceptedAt, p);
  p = body.writeUInt16LE(id.length, p);
  p += id.copy(body, p);
  p = body.writeUInt16LE(topic.length, p);
  p += topic.copy(body, p);
  p = body.writeUInt32LE(payload.length, p);
  payload.copy(body, p);
  return frame(body);
}

/** Undefined when the body, although its CRC matched, is not exactly one well-formed event. */
export function decodeEvent(body: Buffer): OutboxEvent | undefined {
  if (body.length < 17 || body[0] !== TYPE_EVENT) return undefined;
  let p = 1;
  const acceptedAt = body.readDoubleLE(p);
  p += 8;
  const idLen = body.readUInt16LE(p);
  p += 2;
  if (idLen === 0 || p + idLen + 2 > body.length) return undefined;
  const id = body.toString('utf8', p, p + idLen);
  p += idLen;
  const topicLen = body.readUInt16LE(p);
  p += 2;
  if (p + topicLen + 4 > body.length) return undefined;
  const topic = body.toString('utf8', p, p + topicLen);
  p += topicLen;
  const payloadLen = body.readUInt32LE(p);
  p += 4;
  if (p + payloadLen !== body.length || !Number.isFinite(acceptedAt)) return undefined;
  return { id, topic, payload: body.toString('utf8', p, p + payloadLen), acceptedAt };
}

export function encodeAck(offsets: readonly number[]): Buffer {
  const body = Buffer.allocUnsafe(1 + 4 * offsets.length);
  body.writeUInt8(TYPE_ACK, 0);
  offsets.forEach((o, i) => body.writeUInt32LE(o, 1 + 4 * i));
  return frame(body);
}

export function decodeAck(body: Buffer): number[] | undefined {
  if (body.length < 5 || body[0] !== TYPE_ACK || (body.length - 1) % 4 !== 0) return undefined;
  const offsets: number[] = [];
  for (let p = 1; p < body.length; p += 4) offsets.push(body.readUInt32LE(p));
  return offsets;
}

/** End of the valid frame at `at` (exclusive), or -1. */
function frameEnd(buf: Buffer, at: number): number {
  if (at + FRAME_OVERHEAD > buf.length) return -1;
  if (buf[at] !== RECORD_MAGIC[0] || buf[at + 1] !== RECORD_MAGIC[1] || buf[at + 2] !== RECORD_MAGIC[2] || buf[at + 3] !== RECORD_MAGIC[3]) return -1;
  const len = buf.readUInt32LE(at + 4);
  if (len === 0 || len > MAX_BODY_BYTES || at + FRAME_OVERHEAD + len > buf.length) return -1;
  const body = buf.subarray(at + FRAME_OVERHEAD, at + FRAME_OVERHEAD + len);
  return crc32(body, crc32(buf.subarray(at + 4, at + 8))) === buf.readUInt32LE(at + 8) ? at + FRAME_OVERHEAD + len : -1;
}

export interface ScannedFrame<T> {
  offset: number;
  end: number;
  value: T;
}

/** A byte range that held no valid frame: damage between records, or a torn tail when it runs to the end. */
export interface Gap {
  offset: number;
  end: number;
}

export interface Scan<T> {
  frames: ScannedFrame<T>[];
  /** Damaged ranges followed by at least one valid frame: skipped, the records around them kept. */
  gaps: Gap[];
  /** Bytes after the last valid frame that form no frame (a write cut by a crash, or damage at the end). */
  tail: Gap | undefined;
  /** End of the last valid frame (or `start`): where a torn tail is cut. */
  validEnd: number;
}

/**
 * Reads every valid frame from `start`. On a bad frame it resynchronises on the next magic that starts a
 * frame whose CRC and body check out, so one damaged record costs that record only; it never guesses a
 * record from damaged bytes.
 */
export function scanFrames<T>(buf: Buffer, start: number, decode: (body: Buffer) => T | undefined): Scan<T> {
  const frames: ScannedFrame<T>[] = [];
  const gaps: Gap[] = [];
  let gapStart = -1;
  let validEnd = start;
  let p = start;
  while (p < buf.length) {
    const end = frameEnd(buf, p);
    const value = end > 0 ? decode(buf.subarray(p + FRAME_OVERHEAD, end)) : undefined;
    if (value !== undefined) {
      if (gapStart >= 0) gaps.push({ offset: gapStart, end: p });
      gapStart = -1;
      frames.push({ offset: p, end, value });
      validEnd = end;
      p = end;
      continue;
    }
    if (gapStart < 0) gapStart = p;
    const next = buf.indexOf(RECORD_MAGIC, p + 1);
    p = next < 0 ? buf.length : next;
  }
  return { frames, gaps, tail: gapStart >= 0 ? { offset: gapStart, end: buf.length } : undefined, validEnd };
}

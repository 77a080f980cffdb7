import { counterModulo, type Crc8Params, type SerialCounterConfig } from './config.js';

/** CRC-8 of `bytes` with catalogue parameters (reflected variants shift right with the reflected poly). */
export function crc8(bytes: Uint8Array, params: Crc8Params): number {
  const { reflected } = params;
  const poly = reflected ? reflect8(params.poly) : params.poly;
  let crc = reflected ? reflect8(params.init) : params.init;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) {
      if (reflected) crc = crc & 0x01 ? (crc >>> 1) ^ poly : crc >>> 1;
      else crc = crc & 0x80 ? ((crc << 1) ^ poly) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc ^ params.xorOut;
}

function reflect8(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 0x80 >>> i;
  return r;
}

/** STX, two counters, CRC, and ETX if any. */
export function frameLength(config: SerialCounterConfig): number {
  return 1 + 2 * config.counterBytes + 1 + (config.etx === null ? 0 : 1);
}

/** The bytes the CRC is computed over, in a frame laid out by `config`. */
export function crcSpan(frame: Uint8Array, config: SerialCounterConfig): Uint8Array {
  return frame.subarray(config.crcOver === 'counters' ? 1 : 0, 1 + 2 * config.counterBytes);
}

export type CounterFrameResult =
  | { ok: true; in: number; out: number }
  /** `framed`: the frame was whole and its CRC right, only its content is unusable (consume it whole). */
  | { ok: false; reason: string; framed: boolean };

/** Decodes exactly one frame of frameLength(config) bytes. */
export function parseSerialCounterFrame(frame: Uint8Array, config: SerialCounterConfig): CounterFrameResult {
  const length = frameLength(config);
  const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;
  if (frame.length !== length) return { ok: false, reason: `frame of ${frame.length} bytes, expected ${length}`, framed: false };
  if (frame[0] !== config.stx) return { ok: false, reason: `frame does not start with STX ${hex(config.stx)}`, framed: false };
  const crcAt = 1 + 2 * config.counterBytes;
  if (config.etx !== null && frame[crcAt + 1] !== config.etx) {
    return { ok: false, reason: `no ETX ${hex(config.etx)} after the CRC (got ${hex(frame[crcAt + 1]!)})`, framed: false };
  }
  const expected = crc8(crcSpan(frame, config), config.crc);
  if (frame[crcAt] !== expected) return { ok: false, reason: `bad CRC: got ${hex(frame[crcAt]!)}, expected ${hex(expected)}`, framed: false };

  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  const read = (at: number): number =>
    config.counterBytes === 2
      ? config.byteOrder === 'big' ? buf.readUInt16BE(at) : buf.readUInt16LE(at)
      : config.byteOrder === 'big' ? buf.readUInt32BE(at) : buf.readUInt32LE(at);
  const first = read(1);
  const second = read(1 + config.counterBytes);
  const [countIn, countOut] = config.fieldOrder === 'in-out' ? [first, second] : [second, first];
  const modulo = counterModulo(config);
  for (const [name, value] of [['in', countIn], ['out', countOut]] as const) {
    if (value >= modulo) return { ok: false, reason: `${name} count ${value} is not below the modulo ${modulo}`, framed: true };
  }
  return { ok: true, in: countIn, out: countOut };
}

export type FramerOutput = { kind: 'counts'; in: number; out: number; raw: Buffer } | { kind: 'error'; reason: string; raw: Buffer };

/** Skipped bytes are reported once this many have piled up without a good frame after them (a wrong baud rate). */
const REPORT_GARBAGE_AFTER = 64;

/**
 * Frames a byte stream: a frame is STX followed by a fixed number of bytes, checked by its ETX and
 * CRC. Frames are cut by length, never by searching for ETX, since a count or CRC byte may equal STX
 * or ETX. After garbage or a bad frame, the search resumes at the next STX after the failed one, so
 * a good frame glued to garbage, or starting inside a bad one, is still found. Consecutive skipped
 * bytes make one error, reported when the next good frame arrives (or when many have piled up).
 */
export class SerialCounterFramer {
  private readonly length: number;
  private pending: Buffer = Buffer.alloc(0);
  private skipped: Buffer[] = [];
  private skippedBytes = 0;
  private skipReason: string | undefined;

  constructor(private readonly config: SerialCounterConfig) {
    this.length = frameLength(config);
  }

  push(chunk: Buffer): FramerOutput[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: FramerOutput[] = [];
    let pos = 0;
    for (;;) {
      const stxAt = buf.indexOf(this.config.stx, pos);
      if (stxAt < 0) {
        this.skip(buf.subarray(pos));
        pos = buf.length;
        break;
      }
      if (stxAt > pos) this.skip(buf.subarray(pos, stxAt));
      pos = stxAt;
      if (buf.length - pos < this.length) break; // wait for the rest of the frame
      const frame = buf.subarray(pos, pos + this.length);
      const result = parseSerialCounterFrame(frame, this.config);
      if (result.ok || result.framed) {
        this.flushSkipped(out);
        const raw = Buffer.from(frame);
        out.push(result.ok ? { kind: 'counts', in: result.in, out: result.out, raw } : { kind: 'error', reason: result.reason, raw });
        pos += this.length;
      } else {
        // This STX was not a frame start: give up one byte only, a real frame may begin inside.
        this.skip(buf.subarray(pos, pos + 1), result.reason);
        pos += 1;
      }
    }
    this.pending = Buffer.from(buf.subarray(pos));
    if (this.skippedBytes >= REPORT_GARBAGE_AFTER) this.flushSkipped(out);
    return out;
  }

  /** Forgets a partial frame and skipped bytes (after a link loss: they must not be glued to new bytes). */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.skipped = [];
    this.skippedBytes = 0;
    this.skipReason = undefined;
  }

  private skip(bytes: Buffer, reason?: string): void {
    if (bytes.length === 0) return;
    this.skipped.push(Buffer.from(bytes));
    this.skippedBytes += bytes.length;
    this.skipReason ??= reason;
  }

  private flushSkipped(out: FramerOutput[]): void {
    if (this.skippedBytes === 0) return;
    const n = this.skippedBytes;
    const reason = this.skipReason ? `${this.skipReason}; ${n} bytes skipped to the next frame` : `${n} bytes without a frame start skipped`;
    out.push({ kind: 'error', reason, raw: Buffer.concat(this.skipped) });
    this.skipped = [];
    this.skippedBytes = 0;
    this.skipReason = undefined;
  }
}

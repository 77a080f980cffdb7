import { printable } from '../../../runtime/printable.js';
import { SHOWN_BYTES, type FrameError } from '../scale.js';
import { mask7 } from '../ascii-lines.js';
import type { ToledoChecksumMode } from './config.js';
import { STX, TOLEDO_FRAME_BYTES, TOLEDO_FRAME_BYTES_WITH_CHECKSUM, toledoPrefixError } from './parser.js';

export interface ToledoFramerOptions {
  checksum: ToledoChecksumMode;
  maxSkipBytes: number;
}

export interface ToledoFramerSink {
  frame(frame: Buffer): void;
  /** A run of bytes that were not a frame (noise, a partial frame, a bad checksum), reported once. */
  skipped(error: FrameError): void;
}

type Step = { kind: 'wait' } | { kind: 'frame'; length: number } | { kind: 'reject'; reason?: string };

/** Consecutive frames contradicting the detected checksum mode before `auto` detects again. */
const REDETECT_AFTER = 3;
const WAIT: Step = { kind: 'wait' };

/**
 * Cuts a Toledo Continuous byte stream into frames, STX first, by length. Written by hand: no serialport
 * parser fits, because the checksum byte after CR may itself be 0x02 (STX), 0x0A or 0x0D, so neither a
 * delimiter nor a start-byte parser finds frame boundaries. A frame is accepted only when its structure
 * (status bit 5, digits, CR at byte 17) and checksum hold; on any mismatch one byte is dropped and the
 * scan resumes at the next STX, so a bad frame never costs the good one after it.
 */
export class ToledoFramer {
  private pending: Buffer = Buffer.alloc(0);
  private skippedBytes: number[] = [];
  private skipReason: string | undefined;
  /** `auto` mode: what the stream was found to send, until contradicted or the link is lost. */
  private detected: 'present' | 'absent' | undefined;
  private contradictions = 0;

  constructor(
    private readonly options: ToledoFramerOptions,
    private readonly sink: ToledoFramerSink,
  ) {}

  /** The checksum mode in force: the configured one, or what `auto` detected (undefined: not yet). */
  get mode(): 'present' | 'absent' | undefined {
    return this.options.checksum === 'auto' ? this.detected : this.options.checksum;
  }

  push(chunk: Buffer): void {
    // Masked before framing: on a 7E1 line read as 8N1, STX arrives as 0x82 and CR as 0x8D.
    this.pending = this.pending.length === 0 ? mask7(chunk) : Buffer.concat([this.pending, mask7(chunk)]);
    let i = 0;
    for (;;) {
      const stx = this.pending.indexOf(STX, i);
      if (stx < 0) {
        this.skip(this.pending.subarray(i));
        i = this.pending.length;
        break;
      }
      this.skip(this.pending.subarray(i, stx));
      i = stx;
      const step = this.step(this.pending.subarray(i));
      if (step.kind === 'wait') break;
      if (step.kind === 'frame') {
        this.flushSkipped();
        this.sink.frame(Buffer.from(this.pending.subarray(i, i + step.length)));
        i += step.length;
      } else {
        this.skipReason ??= step.reason;
        this.skip(this.pending.subarray(i, i + 1));
        i += 1;
      }
    }
    // A copy, so that the big chunk it came from is not kept alive by a few pending bytes.
    this.pending = Buffer.from(this.pending.subarray(i));
  }

  /** Forgets a partial frame (the link was lost) and reports what was skipped before it. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.flushSkipped();
    this.detected = undefined;
    this.contradictions = 0;
  }

  /** What to do with the bytes from an STX on. */
  private step(bytes: Buffer): Step {
    if (toledoPrefixError(bytes) !== undefined) return { kind: 'reject' };
    if (bytes.length < TOLEDO_FRAME_BYTES) return WAIT;
    const mode = this.mode;
    if (mode === 'absent') {
      if (this.options.checksum === 'auto' && bytes.length > TOLEDO_FRAME_BYTES) {
        // A byte right after CR that completes the checksum, not an STX: the device does send one.
        this.contradict(bytes[17] !== STX && sumOk(bytes));
      }
      return { kind: 'frame', length: TOLEDO_FRAME_BYTES };
    }
    if (bytes.length < TOLEDO_FRAME_BYTES_WITH_CHECKSUM) return WAIT;
    const ok = sumOk(bytes);
    if (mode === 'present') {
      if (ok) {
        // A checksum of 0x02 is no evidence either way: a checksum-less frame before an STX looks the same.
        if (bytes[17] !== STX) this.contradictions = 0;
        return { kind: 'frame', length: TOLEDO_FRAME_BYTES_WITH_CHECKSUM };
      }
      if (this.options.checksum === 'auto') {
        // Frames back to back with nothing after CR: the device stopped sending a checksum.
        if (bytes.length < TOLEDO_FRAME_BYTES_WITH_CHECKSUM + 1) return WAIT;
        this.contradict(bytes[17] === STX && startsStatus(bytes[18]!));
      }
      return { kind: 'reject', reason: checksumReason(bytes) };
    }
    // `auto`, not detected yet: byte 18 is either this frame's checksum or the next frame's STX.
    if (bytes[17] !== STX) {
      if (!ok) return { kind: 'reject', reason: checksumReason(bytes) };
      this.detected = 'present';
      return { kind: 'frame', length: TOLEDO_FRAME_BYTES_WITH_CHECKSUM };
    }
    // An STX after CR: a next frame's STX is followed by a status word, a checksum that happens to be
    // 0x02 by the next frame's STX.
    if (bytes.length < TOLEDO_FRAME_BYTES_WITH_CHECKSUM + 1) return WAIT;
    if (startsStatus(bytes[18]!)) {
      this.detected = 'absent';
      return { kind: 'frame', length: TOLEDO_FRAME_BYTES };
    }
    if (!ok) return { kind: 'reject', reason: checksumReason(bytes) };
    this.detected = 'present';
    return { kind: 'frame', length: TOLEDO_FRAME_BYTES_WITH_CHECKSUM };
  }

  /** `auto` only: counts frames that contradict the detected mode; enough in a row and it detects again. */
  private contradict(yes: boolean): void {
    this.contradictions = yes ? this.contradictions + 1 : 0;
    if (this.contradictions >= REDETECT_AFTER) {
      this.detected = undefined;
      this.contradictions = 0;
    }
  }

  private skip(bytes: Buffer): void {
    for (const b of bytes) {
      this.skippedBytes.push(b);
      // A line that never yields a frame (wrong baud rate) is reported in pieces, never kept whole.
      if (this.skippedBytes.length >= this.options.maxSkipBytes) this.flushSkipped();
    }
  }

  private flushSkipped(): void {
    const n = this.skippedBytes.length;
    if (n === 0) return;
    const reason = this.skipReason
      ? `${this.skipReason} (${n} bytes skipped)`
      : `${n} bytes skipped without a frame: line noise, a partial frame or a power-up banner?`;
    this.sink.skipped({ reason, raw: printable(Buffer.from(this.skippedBytes.slice(0, SHOWN_BYTES))) });
    this.skippedBytes = [];
    this.skipReason = undefined;
  }
}

/** The first 18 bytes sum to 0 modulo 128. */
function sumOk(bytes: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < TOLEDO_FRAME_BYTES_WITH_CHECKSUM; i++) sum += bytes[i]!;
  return (sum & 0x7f) === 0;
}

/** Whether `b` may be status word A, i.e. what follows the STX of a next frame. */
function startsStatus(b: number): boolean {
  return toledoPrefixError(Buffer.from([STX, b])) === undefined;
}

function checksumReason(bytes: Buffer): string {
  let sum = 0;
  for (let i = 0; i < TOLEDO_FRAME_BYTES_WITH_CHECKSUM; i++) sum += bytes[i]!;
  return `checksum mismatch: the frame sums to 0x${(sum & 0x7f).toString(16).padStart(2, '0').toUpperCase()} modulo 128, not 0`;
}

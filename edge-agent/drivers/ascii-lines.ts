import { isMassUnit, toKg } from '../../protocol/units.js';
import { printable } from '../../runtime/printable.js';
import { SHOWN_BYTES, type FrameError } from './scale.js';

/**
 * What the line-based ASCII scale drivers share: framing by a protocol's own start and end bytes,
 * weight fields, and the one-request-at-a-time loop of polled protocols.
 */

/** Clears bit 7 of every byte: on a 7E1/7O1 line read as 8 bits it carries parity, and these protocols are 7-bit ASCII. */
export function mask7(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! & 0x7f;
  return out;
}

const BYTE_NAMES: Record<string, string> = { '\r': 'CR', '\n': 'LF' };

function nameOf(sequence: string): string {
  return [...sequence].map((c) => BYTE_NAMES[c] ?? printable(c)).join(' ');
}

function shown(bytes: Buffer): string {
  return printable(bytes.subarray(0, SHOWN_BYTES));
}

export interface LineFramerOptions {
  /** The bytes that end a frame (CR LF, or CR); not part of the frame. */
  end: string;
  /** A single byte that starts a frame (SMA's LF): bytes outside start…end are garbage, and a start inside a frame begins it again. */
  start?: string;
  /** A frame (or a run of garbage) longer than this is dropped and reported: wrong baud rate or a stuck line. */
  maxBytes: number;
}

/**
 * Cuts a byte stream into frames by the protocol's own terminator (and start byte, where it has one),
 * whatever the chunking. Give it bytes already masked to 7 bits: with parity in bit 7, CR arrives as 0x8D.
 * Bad bytes cost at most the frame they are in; every loss is reported once.
 */
export class LineFramer {
  private pending = Buffer.alloc(0);
  /** Only with a start byte: whether the pending bytes follow one. */
  private inFrame = false;
  private readonly end: Buffer;
  private readonly start: number | undefined;

  constructor(
    private readonly options: LineFramerOptions,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onError: (error: FrameError) => void,
  ) {
    this.end = Buffer.from(options.end, 'latin1');
    this.start = options.start === undefined ? undefined : options.start.charCodeAt(0);
  }

  push(bytes: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    let from = 0;
    for (;;) {
      if (this.start !== undefined && !this.inFrame) {
        const s = buf.indexOf(this.start, from);
        if (s < 0) break;
        if (s > from) this.onError({ reason: `bytes outside a frame (before ${nameOf(this.options.start!)})`, raw: shown(buf.subarray(from, s)) });
        from = s + 1;
        this.inFrame = true;
        continue;
      }
      const e = buf.indexOf(this.end, from);
      const s = this.start === undefined ? -1 : buf.indexOf(this.start, from);
      if (s >= 0 && (e < 0 || s < e)) {
        // A new start before the end: the frame in hand was cut (line break, lost bytes). The new one counts.
        if (s > from) this.onError({ reason: 'frame cut short by the start of another', raw: shown(buf.subarray(from, s)) });
        from = s + 1;
        continue;
      }
      if (e < 0) break;
      const frame = buf.subarray(from, e);
      from = e + this.end.length;
      this.inFrame = false;
      this.onFrame(frame);
    }
    // A copy, so that a long-lived remainder does not pin the whole chunk.
    this.pending = Buffer.from(buf.subarray(from));
    if (this.pending.length > this.options.maxBytes) {
      const awaited = this.start !== undefined && !this.inFrame ? this.options.start! : this.options.end;
      this.onError({
        reason: `no ${nameOf(awaited)} within ${this.options.maxBytes} bytes (${this.pending.length} bytes dropped): wrong baud rate or line settings?`,
        raw: shown(this.pending),
      });
      this.reset();
    }
  }

  /** Forgets a partial frame: after a link loss it must not be glued to the first bytes of the next link. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.inFrame = false;
  }
}

/** A right-aligned weight: sign, optional padding, digits with at most one point. */
const NUMBER = /^([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)$/;

/** A weight field and its unit, read: kilograms, a well-formed value that is not a mass, or garbage. */
export type ParsedWeight = { kind: 'kg'; kg: number } | { kind: 'not-mass'; reason: string } | { kind: 'invalid'; reason: string };

/**
 * Reads a weight field (`-12.345`, `  +0012.34`) in its unit (kg, g, t, lb, any case) as kilograms rounded to
 * the scale's resolution. Counting, percent and unconverted units are `not-mass`. Call it only once the
 * frame's status says the field holds a weight: out-of-range fillers look like numbers.
 */
export function parseWeight(valueField: string, unitField: string): ParsedWeight {
  const unit = unitField.trim().toLowerCase();
  if (!unit) return { kind: 'invalid', reason: 'no unit after the weight' };
  if (unit === '%') return { kind: 'not-mass', reason: 'percent mode' };
  if (unit === 'pc' || unit === 'pcs') return { kind: 'not-mass', reason: 'counting mode (pcs)' };
  if (!isMassUnit(unit)) return { kind: 'not-mass', reason: `unit "${unitField.trim()}" is not converted` };
  const num = NUMBER.exec(valueField.trim());
  if (!num) return { kind: 'invalid', reason: `weight field "${valueField}" is not a number` };
  const digits = num[2]!;
  const point = digits.indexOf('.');
  const kg = toKg(Number(num[1]! + digits), unit, point < 0 ? 0 : digits.length - point - 1);
  return { kind: 'kg', kg: kg === 0 ? 0 : kg }; // no -0 from "-0.00"
}

/** Splits `  -5.025lb ` or `12.34 kg` into the weight field and the unit (trailing letters or %). */
export function splitValueUnit(body: string): [value: string, unit: string] {
  const m = /^(.*?)\s*([A-Za-z%]+)?\s*$/s.exec(body)!;
  return [m[1]!, m[2] ?? ''];
}

/** One request of a polled protocol. */
export interface PolledRequest {
  /** The bytes to write, terminator included. */
  readonly wire: string;
  /** How errors name it (`SI`, `<LF>W<CR>`). */
  readonly label: string;
  /** No reply within this is an error; the request is then forgotten. */
  readonly timeoutMs: number;
}

export interface RequestLoopOptions<R extends PolledRequest> {
  /** How often `poll` is asked for a request; a slow reply delays the next one, never doubles it. */
  pollMs: number;
  /** The periodic request (a weight request), or undefined to send nothing this period. */
  poll: () => R | undefined;
  write: (wire: string) => void;
  /** `request` got no reply in its timeoutMs. */
  onTimeout: (request: R) => void;
}

/**
 * Request/reply pacing for polled scales: at most one request outstanding, a reply timeout after which
 * the loop goes on, and commands (zero, tare) sent before the next poll. Runs while the link is open.
 */
export class RequestLoop<R extends PolledRequest> {
  private readonly queue: R[] = [];
  private current: R | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private replyTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: RequestLoopOptions<R>) {}

  /** The request awaiting its reply. */
  get outstanding(): R | undefined {
    return this.current;
  }

  /** The link is open: polls start one period from now; queued requests go at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.next(true), this.options.pollMs);
  }

  /** The link is gone: forgets the outstanding and queued requests (a tare meant for then means nothing later). */
  stop(): void {
    this.running = false;
    clearInterval(this.pollTimer);
    clearTimeout(this.replyTimer);
    this.current = undefined;
    this.queue.length = 0;
  }

  /** Sends `request` as soon as nothing is outstanding; dropped while stopped. */
  enqueue(request: R): void {
    if (!this.running) return;
    this.queue.push(request);
    this.next(false);
  }

  /** The outstanding request got its reply: returns it, and sends the next queued one. */
  settle(): R | undefined {
    const done = this.current;
    if (!done) return undefined;
    clearTimeout(this.replyTimer);
    this.current = undefined;
    this.next(false);
    return done;
  }

  private next(pollDue: boolean): void {
    if (!this.running || this.current) return;
    const request = this.queue.shift() ?? (pollDue ? this.options.poll() : undefined);
    if (!request) return;
    this.current = request;
    this.replyTimer = setTimeout(() => {
      if (this.current !== request) return;
      this.current = undefined;
      this.options.onTimeout(request);
      this.next(false);
    }, request.timeoutMs);
    this.options.write(request.wire);
  }
}

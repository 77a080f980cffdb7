import { isMassUnit, toKg } from '../../../protocol/units.js';
import type { ScaleReading } from '../scale.js';
import { mask7 } from '../ascii-lines.js';

export const STX = 0x02;
export const CR = 0x0d;
/** STX, SWA, SWB, SWC, 6 weight digits, 6 tare digits, CR; a checksum byte may follow. */
export const TOLEDO_FRAME_BYTES = 17;
export const TOLEDO_FRAME_BYTES_WITH_CHECKSUM = 18;

/** SWC bits 0–2: a unit other than the kg/lb of SWB bit 4. Codes 3–7 are from the IND manuals *(check)*. */
export const TOLEDO_OTHER_UNITS = [undefined, 'g', 't', 'oz', 'ozt', 'dwt', 'ton', 'custom'] as const;
export type ToledoUnit = 'kg' | 'lb' | Exclude<(typeof TOLEDO_OTHER_UNITS)[number], undefined>;

/** Every status bit of a frame, decoded. */
export interface ToledoStatus {
  /** Digits after the point: SWA code 0 (×100) is −2, code 2 (×1) is 0, code 7 is 5. */
  decimals: number;
  /** Display increment (count-by); undefined for the unused code 0. */
  increment: 1 | 2 | 5 | undefined;
  net: boolean;
  negative: boolean;
  outOfRange: boolean;
  motion: boolean;
  unit: ToledoUnit;
  /** The indicator was powered up and has not captured zero yet: its weight means nothing. */
  powerUpNotZeroed: boolean;
  printRequest: boolean;
}

export type ToledoParseResult = { ok: true; reading: ScaleReading; status: ToledoStatus } | { ok: false; reason: string };

const STATUS_WORDS = ['SWA', 'SWB', 'SWC'] as const;
/** Bit 5 is always set in a status word: it keeps them printable and is the framer's best structure check. */
const ALWAYS_SET = 0x20;
const INCREMENTS = [undefined, 1, 2, 5] as const;

/**
 * The byte that makes a frame's 7-bit sum 0: two's complement of the sum of STX…CR, masked to 7 bits.
 * Parity bits are ignored, so it is the same on a 7E1 line read as 8N1.
 */
export function toledoChecksum(frame: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < TOLEDO_FRAME_BYTES; i++) sum += frame[i]! & 0x7f;
  return -sum & 0x7f;
}

/**
 * Why `bytes` (masked to 7 bits, at most 17 of them) cannot be the start of a frame, or undefined if they
 * can. Checks only what is there, so the framer can give up on a false STX before the rest arrives.
 */
export function toledoPrefixError(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, TOLEDO_FRAME_BYTES);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (i === 0) {
      if (b !== STX) return 'no STX at the start of the frame';
    } else if (i <= 3) {
      // SWB may have bit 5 clear: Fairbanks indicators send it so in Toledo mode; parseToledoFrame then asks for the checksum.
      if (i !== 2 && (b & ALWAYS_SET) === 0) return `status word ${STATUS_WORDS[i - 1]} without bit 5 (0x${hex(b)})`;
    } else if (i < 16) {
      if (b !== 0x20 && (b < 0x30 || b > 0x39)) return `byte ${i + 1} is not a digit or a space (0x${hex(b)})`;
    } else if (b !== CR) {
      return `no CR at byte 17 (0x${hex(b)})`;
    }
  }
  return undefined;
}

export function decodeToledoStatus(swa: number, swb: number, swc: number): ToledoStatus {
  const other = TOLEDO_OTHER_UNITS[swc & 0x07];
  return {
    decimals: (swa & 0x07) - 2,
    increment: INCREMENTS[(swa >> 3) & 0x03],
    net: (swb & 0x01) !== 0,
    negative: (swb & 0x02) !== 0,
    outOfRange: (swb & 0x04) !== 0,
    motion: (swb & 0x08) !== 0,
    unit: other ?? ((swb & 0x10) !== 0 ? 'kg' : 'lb'),
    powerUpNotZeroed: (swb & 0x40) !== 0,
    printRequest: (swc & 0x08) !== 0,
  };
}

/**
 * Parses one Toledo Continuous frame, STX to CR (17 bytes) or with its checksum (18 bytes), into a reading
 * or the reason it is unusable. Never throws. Bytes are masked to 7 bits first (parity on 7E1 links); the
 * status is read before the digits, so an out-of-range frame is never a weight.
 */
export function parseToledoFrame(frame: Buffer | string): ToledoParseResult {
  const bytes = mask7(typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame);
  if (bytes.length !== TOLEDO_FRAME_BYTES && bytes.length !== TOLEDO_FRAME_BYTES_WITH_CHECKSUM) {
    return fail(`${bytes.length} bytes: a frame has ${TOLEDO_FRAME_BYTES}, or ${TOLEDO_FRAME_BYTES_WITH_CHECKSUM} with its checksum`);
  }
  const structure = toledoPrefixError(bytes);
  if (structure) return fail(structure);
  if ((bytes[2]! & ALWAYS_SET) === 0 && bytes.length !== TOLEDO_FRAME_BYTES_WITH_CHECKSUM) {
    // Without bit 5 in SWB (Fairbanks' Toledo mode), only the checksum tells a frame from noise.
    return fail(`status word SWB without bit 5 (0x${hex(bytes[2]!)}) and no checksum to vouch for the frame`);
  }
  if (bytes.length === TOLEDO_FRAME_BYTES_WITH_CHECKSUM) {
    const expected = toledoChecksum(bytes);
    if (bytes[17] !== expected) return fail(`checksum 0x${hex(bytes[17]!)} where the frame needs 0x${hex(expected)}`);
  }
  const status = decodeToledoStatus(bytes[1]!, bytes[2]!, bytes[3]!);
  const ok = (reading: ScaleReading): ToledoParseResult => ({ ok: true, reading, status });

  if (status.outOfRange) return ok({ kind: status.negative ? 'underload' : 'overload' });
  if (status.powerUpNotZeroed) return ok({ kind: 'not-mass', reason: 'power-up: the scale has not been zeroed yet' });
  if (!isMassUnit(status.unit)) return ok({ kind: 'not-mass', reason: `unit "${status.unit}" is not converted` });

  const weight = digits(bytes.toString('latin1', 4, 10));
  if (weight === undefined) return fail(`weight field "${bytes.toString('latin1', 4, 10)}" is not a number`);
  // A tare field left blank means no tare.
  const tare = bytes.toString('latin1', 10, 16).trim() === '' ? '0' : digits(bytes.toString('latin1', 10, 16));
  if (tare === undefined) return fail(`tare field "${bytes.toString('latin1', 10, 16)}" is not a number`);

  const kg = toKg(scaled(weight, status.decimals) * (status.negative ? -1 : 1), status.unit, Math.max(0, status.decimals));
  return ok({
    kind: 'mass',
    kg: kg === 0 ? 0 : kg, // no -0 from a negative zero
    stable: !status.motion,
    net: status.net,
    tareKg: toKg(scaled(tare, status.decimals), status.unit, Math.max(0, status.decimals)),
  });
}

/** The digits of a field padded with spaces or zeros, or undefined if anything else is in it. */
function digits(field: string): string | undefined {
  return /^ *(\d+)$/.exec(field)?.[1];
}

/** `1234` with 2 decimals is 12.34; with −2 (the ×100 code) it is 123400. Built as text: no 12.340000001. */
function scaled(digitsText: string, decimals: number): number {
  if (decimals <= 0) return Number(digitsText) * 10 ** -decimals;
  const padded = digitsText.padStart(decimals + 1, '0');
  return Number(`${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

function fail(reason: string): ToledoParseResult {
  return { ok: false, reason };
}

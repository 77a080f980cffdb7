import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

/**
 * The NCI SCP-12 protocol (bench and postal scales; also Adam Equipment MDW-L, Ohaus Aviator). A reply runs
 * from LF to CR ETX: `<LF>weight unit<CR><LF>status<CR><ETX>` to `W`, `<LF>status<CR><ETX>` to `S`, `Z`, `T`.
 * Adam Equipment MDW-L user manual (Rev C5, 2012), § 8.5 « Commands and response », p. 13; the status bytes
 * as the Ohaus Aviator 7000 service manual gives them, p. 49:
 * - byte 1: b0 motion, b1 at zero, b2 RAM error, b3 EEPROM error;
 * - byte 2: b0 under capacity, b1 over capacity, b2 ROM error, b3 faulty calibration;
 * - byte 3 (optional): b0–1 range, b2 net, b3 initial zero error;
 * - byte 4 (optional): b0 weight change, b1 zero detected, b2 metric.
 * Bits 4 and 5 are always 1 and bit 6 says whether another byte follows (never on byte 1).
 */
export type NciReply = { kind: 'reading'; reading: ScaleReading } | { kind: 'status' };

export type NciParseResult = { ok: true; reply: NciReply } | { ok: false; reason: string };

const FAULTS: Array<[byte: number, bit: number, reason: string]> = [
  [0, 2, 'RAM error'],
  [0, 3, 'EEPROM error'],
  [1, 2, 'ROM error'],
  [1, 3, 'faulty calibration'],
  [2, 3, 'initial zero error'],
];

/** The status bytes, or why they are not: 2 to 4 bytes with bits 4 and 5 set, bit 6 chaining them. */
function statusBytes(text: string): number[] | string {
  const bytes = [...text].map((c) => c.charCodeAt(0));
  if (bytes.length < 2 || bytes.length > 4) return `${bytes.length} status bytes, where there are 2 to 4`;
  for (const [i, b] of bytes.entries()) {
    if ((b & 0x30) !== 0x30) return `status byte ${i + 1} without bits 4 and 5 (0x${b.toString(16)})`;
    const follows = (b & 0x40) !== 0;
    if (i === 0 ? follows : follows !== i < bytes.length - 1) return `status byte ${i + 1} says ${follows ? 'a byte follows' : 'it is the last'}, and ${bytes.length} came`;
  }
  return bytes;
}

/**
 * Parses one reply, CR ETX removed. Never throws. Bytes are masked to 7 bits. The status bytes come first in
 * meaning: a fault bit is a device error (`ok: false` with the fault named), never a weight; over and under
 * capacity are out of range whatever the weight field holds; the weight is stable only when the motion bit is
 * clear. Noise before the reply is skipped: the reply is its last two lines.
 */
export function parseNciReply(frame: Buffer | string): NciParseResult {
  const bytes = typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame;
  const lines = mask7(bytes).toString('latin1').split(/\r?\n/);
  const status = statusBytes(lines.at(-1) ?? '');
  if (typeof status === 'string') return fail(status);
  const faults = FAULTS.filter(([byte, bit]) => status[byte] !== undefined && (status[byte]! & (1 << bit)) !== 0).map(([, , r]) => r);
  if (faults.length) return fail(`la balance signale une panne / the scale reports a fault: ${faults.join(', ')}`);
  const weightLine = lines.length >= 2 ? lines.at(-2)! : '';
  // The reply to S, Z and T is the status alone: what precedes it then is noise, with no digit or filler in it.
  if (!/[\d^_]|-{5,}/.test(weightLine)) return ok({ kind: 'status' });
  const reading = (r: ScaleReading): NciParseResult => ok({ kind: 'reading', reading: r });
  if ((status[1]! & 0x02) !== 0 || /^\s*\^+/.test(weightLine)) return reading({ kind: 'overload' });
  if ((status[1]! & 0x01) !== 0 || /^\s*_+/.test(weightLine)) return reading({ kind: 'underload' });
  if (/^\s*-{5,}/.test(weightLine)) return reading({ kind: 'not-mass', reason: 'zero-point error (dashes)' });
  const m = /^\s*(-?)\s*(\d*\.?\d+)\s*([A-Za-z]{1,3})\s*$/.exec(weightLine);
  if (!m) return fail(`weight line "${weightLine.trim().slice(0, 24)}" is not a weight and a unit`);
  const parsed = parseWeight(`${m[1]}${m[2]}`, m[3]!);
  if (parsed.kind === 'invalid') return fail(parsed.reason);
  if (parsed.kind === 'not-mass') return reading(parsed);
  const net = status[2] !== undefined && (status[2] & 0x04) !== 0;
  return reading({ kind: 'mass', kg: parsed.kg === 0 ? 0 : parsed.kg, stable: (status[0]! & 0x01) === 0, net });
}

function ok(reply: NciReply): NciParseResult {
  return { ok: true, reply };
}

function fail(reason: string): NciParseResult {
  return { ok: false, reason };
}

import type { MtSicsErrorCode } from '../../edge-agent/drivers/mt-sics/parser.js';

/** What an MT-SICS reply says, before it is laid out. Values are in `unit` (default kg) with `decimals` (default 2). */
export type MtSicsReplyFields =
  /** `S S` (stable) or `S D` (dynamic): the reply to S, SI and SIR. */
  | { reply: 'weight'; stable: boolean; value: number; unit?: string; decimals?: number }
  /** `S I` busy or not stable in time, `S +` overload, `S -` underload. */
  | { reply: 'weight-status'; status: 'I' | '+' | '-' }
  /** `T S <tare> <unit>`: tare taken. */
  | { reply: 'tare'; value: number; unit?: string; decimals?: number }
  /** `Z A`: zero set. */
  | { reply: 'zeroed' }
  /** `Z I`, `Z +`, `Z -`, `T I`, `T +`, `T -`: zero or tare not done. */
  | { reply: 'refused'; command: 'Z' | 'T'; status: 'I' | '+' | '-' }
  /** `I4 A "<serial>"`: the reply to `@` and `I4`, and the power-up line. */
  | { reply: 'identification'; serial: string }
  /** `ES`, `ET`, `EL`. */
  | { reply: 'error'; code: MtSicsErrorCode };

/** The weight field of the reference manual: 10 characters, right-aligned, the sign against the first digit. */
const WEIGHT_WIDTH = 10;

/**
 * Lays out one reply with its CR LF: the exact inverse of parseMtSicsReply (edge-agent/drivers/mt-sics/parser.ts).
 * Throws RangeError for a value that does not fit its field.
 */
export function encodeMtSicsReply(fields: MtSicsReplyFields): Buffer {
  let text: string;
  switch (fields.reply) {
    case 'weight':
      text = `S ${fields.stable ? 'S' : 'D'} ${weightAndUnit(fields)}`;
      break;
    case 'weight-status':
      text = `S ${fields.status}`;
      break;
    case 'tare':
      text = `T S ${weightAndUnit(fields)}`;
      break;
    case 'zeroed':
      text = 'Z A';
      break;
    case 'refused':
      text = `${fields.command} ${fields.status}`;
      break;
    case 'identification':
      if (fields.serial.includes('"')) throw new RangeError('a serial number cannot hold a double quote');
      text = `I4 A "${fields.serial}"`;
      break;
    case 'error':
      text = fields.code;
      break;
  }
  return Buffer.from(`${text}\r\n`, 'latin1');
}

function weightAndUnit({ value, unit = 'kg', decimals = 2 }: { value: number; unit?: string; decimals?: number }): string {
  const field = value.toFixed(decimals).padStart(WEIGHT_WIDTH);
  if (field.length > WEIGHT_WIDTH) throw new RangeError(`"${field}" does not fit in ${WEIGHT_WIDTH} characters`);
  return `${field} ${unit}`;
}

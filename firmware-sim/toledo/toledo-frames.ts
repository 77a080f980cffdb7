import {
  CR,
  STX,
  TOLEDO_OTHER_UNITS,
  toledoChecksum,
  type ToledoUnit,
} from '../../edge-agent/drivers/toledo/parser.js';
import { roundTo } from '../../protocol/units.js';
import { withParity, type LineParity } from '../common/parity.js';

export type ToledoFrameStatus = 'stable' | 'unstable' | 'overload' | 'underload';

/** What a frame says, before it is laid out as status words and digits. */
export interface ToledoFrameFields {
  status: ToledoFrameStatus;
  net?: boolean;
  /** Displayed value (net when `net`, else gross) in `unit`, signed; ignored out of range. */
  value?: number;
  /** Tare in `unit`, 0 when none. */
  tare?: number;
  /** Digits after the point, −2 (×100) to 5 (default 2). */
  decimals?: number;
  /** Display increment (default 1). */
  increment?: 1 | 2 | 5;
  /** kg (default), lb, or another unit of SWC (g, t, oz…). */
  unit?: ToledoUnit;
  powerUpNotZeroed?: boolean;
  printRequest?: boolean;
  /** How the digit fields are padded (default spaces). */
  pad?: 'space' | 'zero';
}

export interface ToledoEncodeOptions {
  /** Append the checksum byte (default true), or this byte instead of it (fault injection). */
  checksum?: boolean | number;
  /** Sets bit 7 of every byte as a 7E1/7O1 line delivers it to a host reading 8 bits. */
  parity?: LineParity;
}

/** SWA, SWB, SWC of `fields`, bit 5 set in each. */
export function toledoStatusWords(fields: ToledoFrameFields): [swa: number, swb: number, swc: number] {
  const { status, net = false, value = 0, decimals = 2, increment = 1, unit = 'kg' } = fields;
  if (!Number.isInteger(decimals) || decimals < -2 || decimals > 5) throw new RangeError(`decimals ${decimals} is not between -2 and 5`);
  const swa = 0x20 | (decimals + 2) | ({ 1: 1, 2: 2, 5: 3 }[increment] << 3);
  const negative = status === 'underload' || (status !== 'overload' && value < 0);
  const other = TOLEDO_OTHER_UNITS.indexOf(unit as (typeof TOLEDO_OTHER_UNITS)[number]);
  const swb =
    0x20 |
    (net ? 0x01 : 0) |
    (negative ? 0x02 : 0) |
    (status === 'overload' || status === 'underload' ? 0x04 : 0) |
    (status === 'unstable' ? 0x08 : 0) |
    (unit === 'lb' ? 0 : 0x10) | // metric units of SWC keep the kg bit
    (fields.powerUpNotZeroed ? 0x40 : 0);
  const swc = 0x20 | (other > 0 ? other : 0) | (fields.printRequest ? 0x08 : 0);
  return [swa, swb, swc];
}

/**
 * Lays out one frame, STX to CR and its checksum: the exact inverse of parseToledoFrame
 * (edge-agent/drivers/toledo/parser.ts). Throws RangeError for a value that does not fit 6 digits.
 */
export function encodeToledoFrame(fields: ToledoFrameFields, options: ToledoEncodeOptions = {}): Buffer {
  const { decimals = 2, pad = 'space' } = fields;
  const outOfRange = fields.status === 'overload' || fields.status === 'underload';
  const weight = outOfRange ? 0 : (fields.value ?? 0);
  const body = Buffer.from([
    STX,
    ...toledoStatusWords(fields),
    ...digitField(weight, decimals, pad),
    ...digitField(fields.tare ?? 0, decimals, pad),
    CR,
  ]);
  const { checksum = true, parity = 'none' } = options;
  const frame = checksum === false ? body : Buffer.concat([body, Buffer.from([checksum === true ? toledoChecksum(body) : checksum])]);
  return withParity(frame, parity);
}

/**
 * Valid frame fields whose checksum byte is `target`: how a test or the twin makes the checksum 0x02, 0x0A
 * or 0x0D on purpose. Padding, increment and the print bit change the sum without changing the reading;
 * the value moves by the fewest display steps needed on top of them, at most ±2000. Throws RangeError if
 * none does (it happens for a few sums with 0 decimals, where the value has few digits to play with).
 */
export function fieldsWithChecksum(fields: ToledoFrameFields, target: number): ToledoFrameFields {
  const decimals = fields.decimals ?? 2;
  for (let k = 0; k <= 4_000; k++) {
    const offset = (k % 2 === 0 ? k / 2 : -(k + 1) / 2) * 10 ** -decimals;
    for (const variant of sumVariants(fields)) {
      const candidate = { ...fields, ...variant, value: roundTo((fields.value ?? 0) + offset, decimals) };
      try {
        if (encodeToledoFrame(candidate)[17] === target) return candidate;
      } catch {
        // out of the 6 digits: try the next one
      }
    }
  }
  throw new RangeError(`no frame like ${JSON.stringify(fields)} has checksum 0x${target.toString(16)}`);
}

/** The fields' own padding, increment and print bit first, then the others. */
function sumVariants(fields: ToledoFrameFields): Array<Pick<ToledoFrameFields, 'pad' | 'increment' | 'printRequest'>> {
  const { pad = 'space', increment = 1, printRequest = false } = fields;
  const out: Array<Pick<ToledoFrameFields, 'pad' | 'increment' | 'printRequest'>> = [];
  for (const p of [pad, pad === 'space' ? 'zero' : 'space'] as const) {
    for (const i of [increment, ...([1, 2, 5] as const).filter((x) => x !== increment)]) {
      for (const r of [printRequest, !printRequest]) out.push({ pad: p, increment: i, printRequest: r });
    }
  }
  return out;
}

/**
 * Six characters: the magnitude in display steps, no point, no sign, padded on the left. Space padding
 * keeps the digits a display shows, so 0.00 is "   000" as in the manuals' examples.
 */
function digitField(value: number, decimals: number, pad: 'space' | 'zero'): Buffer {
  const steps = Math.round(Math.abs(value) * 10 ** decimals);
  const shown = String(steps).padStart(Math.max(decimals + 1, 1), '0');
  const text = shown.padStart(6, pad === 'zero' ? '0' : ' ');
  if (text.length > 6) throw new RangeError(`${value} does not fit in 6 digits with ${decimals} decimals`);
  return Buffer.from(text, 'latin1');
}


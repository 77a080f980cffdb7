import type { StgsFrameFormat } from '../../edge-agent/drivers/stgs/config.js';

export type StgsFrameStatus = 'stable' | 'unstable' | 'overload' | 'underload' | 'counting' | 'not-level';

/** What a frame says, before it is laid out in one of the four formats. */
export interface StgsFrameFields {
  status: StgsFrameStatus;
  /** Gross (default), net, or a tare display. */
  mode?: 'gross' | 'net' | 'tare';
  /** The displayed value in `unit`; ignored when out of range. */
  value?: number;
  /** kg (default), g, t, lb, or a non-mass unit such as pc or %. */
  unit?: string;
  /** Digits after the point (default 2). */
  decimals?: number;
  /** CAS device id, 0–9, sent as an ASCII digit. */
  deviceId?: number;
  /** Dini Argeo RS-485 instrument code (0–99), sent as two digits before the frame when set. */
  address?: number;
}

/**
 * Lays out one frame with its CR LF: the exact inverse of parseStgsFrame (edge-agent/drivers/stgs/parser.ts).
 * Throws RangeError for what the format cannot say (a net frame on an A&D balance, a value too wide).
 */
export function encodeStgsFrame(format: StgsFrameFormat, fields: StgsFrameFields): Buffer {
  const f = { mode: 'gross' as const, value: 0, unit: 'kg', decimals: 2, ...fields };
  const second = { gross: 'GS', net: 'NT', tare: 'TR' }[f.mode];
  let text: string;
  switch (format) {
    case 'ad-balance': {
      if (f.mode !== 'gross') refuse(format, `a ${f.mode} frame`);
      if (f.status === 'not-level') refuse(format, 'a not-level status');
      const header = { stable: 'ST', unstable: 'US', overload: 'OL', underload: 'OL', counting: 'QT' }[f.status];
      let number: string;
      if (f.status === 'overload') number = '+9999999E+19';
      else if (f.status === 'underload') number = '-9999999E+19';
      else number = signed(f.value, f.status === 'counting' ? 0 : f.decimals, 8);
      const unit = f.status === 'counting' ? 'PC' : f.unit;
      text = `${header},${number}${unit.padStart(3)}`;
      break;
    }
    case 'ad-indicator': {
      if (f.status === 'underload' || f.status === 'not-level') refuse(format, `a ${f.status} status`);
      const header = { stable: 'ST', unstable: 'US', overload: 'LO', counting: 'ST' }[f.status];
      // Out of range, the indicator sends its digits as spaces.
      const number = f.status === 'overload' ? ' '.repeat(8) : signed(f.value, f.decimals, 7);
      const unit = f.status === 'counting' ? 'pc' : f.unit;
      text = `${header},${second},${number}${unit.padStart(2)}`;
      break;
    }
    case 'cas': {
      if (f.status === 'underload' || f.status === 'not-level') refuse(format, `a ${f.status} status`);
      const header = { stable: 'ST', unstable: 'US', overload: 'OL', counting: 'ST' }[f.status];
      const id = String.fromCharCode(0x30 + (f.deviceId ?? 1));
      // Lamp byte: bits 7 and 5 always set (never CR or LF), 6 stable, 2 gross, 1 tare in use, 0 at zero.
      const lamp =
        0xa0 |
        (f.status === 'stable' ? 0x40 : 0) |
        (f.mode === 'gross' ? 0x04 : 0x02) |
        (f.value === 0 ? 0x01 : 0);
      const number = f.status === 'overload' ? '99999999' : casData(f.value, f.decimals);
      const unit = f.status === 'counting' ? 'pc' : f.unit;
      text = `${header},${second},${id}${String.fromCharCode(lamp)},${number} ${unit.padStart(2)}`;
      break;
    }
    case 'dini': {
      if (f.mode === 'tare') refuse(format, 'a tare frame');
      if (f.status === 'counting') refuse(format, 'counting mode');
      const header = { stable: 'ST', unstable: 'US', overload: 'OL', underload: 'UL', 'not-level': 'TL' }[f.status];
      const outOfRange = f.status === 'overload' || f.status === 'underload';
      const number = outOfRange ? ' '.repeat(8) : fit(f.value.toFixed(f.decimals).padStart(8), 8);
      const address = f.address === undefined ? '' : String(f.address).padStart(2, '0');
      text = `${address}${header},${second},${number},${f.unit}`;
      break;
    }
  }
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from('\r\n')]);
}

/** `+0012.34`: a sign, then the magnitude zero-padded to `width`. */
function signed(value: number, decimals: number, width: number): string {
  return (value < 0 ? '-' : '+') + fit(Math.abs(value).toFixed(decimals).padStart(width, '0'), width);
}

/** CAS data: 8 characters, zero-padded, the sign in the first place when negative. */
function casData(value: number, decimals: number): string {
  const magnitude = Math.abs(value).toFixed(decimals);
  return fit(value < 0 ? `-${magnitude.padStart(7, '0')}` : magnitude.padStart(8, '0'), 8);
}

function refuse(format: StgsFrameFormat, what: string): never {
  throw new RangeError(`${format} cannot send ${what}`);
}

function fit(field: string, width: number): string {
  if (field.length > width) throw new RangeError(`"${field.trim()}" does not fit in ${width} characters`);
  return field;
}

/** Which Dini Argeo string: the standard one above, the « AF » string (gross and tare), or the answer to `REXT`. */
export const diniStrings = ['standard', 'af', 'rext'] as const;
export type DiniString = (typeof diniStrings)[number];

/** What a Dini extended string says: the gross/net frame's fields, the tare, and whether it was typed in (PT). */
export interface DiniExtendedFields extends Omit<StgsFrameFields, 'mode' | 'deviceId'> {
  /** The tare in `unit` (0: none). `value` is the net weight (gross less tare). */
  tare?: number;
  presetTare?: boolean;
  /** The scale's number on the indicator (default 1). */
  scale?: number;
  /** The remote scale is in error: `ER` in place of the status. */
  error?: boolean;
}

/**
 * A Dini Argeo extended string with its CR LF, as the 3590E technical manual lays them out
 * (E-AF03_05.01_14.07_EN_T, § 5.4 p. 65 « AF string », p. 69 `REXT`): weights on 10 characters with sign
 * and point, tare after `PT` or two spaces, units on two.
 * - `af`:   `[CC]SS,B,GGGGGGGGGGUU,YYTTTTTTTTTTUU` (gross, then tare)
 * - `rext`: `[CC]B,SS,NNNNNNNNNN,YYTTTTTTTTTT,PPPPPPPPPP,MMMMMMMMMM,UU` (net, tare, two fields always 0)
 */
export function encodeDiniExtended(kind: Exclude<DiniString, 'standard'>, fields: DiniExtendedFields): Buffer {
  const f = { value: 0, tare: 0, unit: 'kg', decimals: 2, scale: 1, ...fields };
  if (f.status === 'counting' || f.status === 'not-level') refuse('dini', `a ${f.status} status in an extended string`);
  const status = f.error ? 'ER' : { stable: 'ST', unstable: 'US', overload: 'OL', underload: 'UL' }[f.status];
  const outOfRange = f.error || f.status === 'overload' || f.status === 'underload';
  const weight = (v: number) => (outOfRange ? ' '.repeat(10) : fit(v.toFixed(f.decimals).padStart(10), 10));
  const tare = `${f.presetTare ? 'PT' : '  '}${fit(f.tare.toFixed(f.decimals).padStart(10), 10)}`;
  const unit = f.unit.padStart(2);
  const address = f.address === undefined ? '' : String(f.address).padStart(2, '0');
  const zero = '0'.padStart(10);
  const text =
    kind === 'af'
      ? `${address}${status},${f.scale},${weight(f.value + f.tare)}${unit},${tare}${unit}`
      : `${address}${f.scale},${status},${weight(f.value)},${tare},${zero},${zero},${unit}`;
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from('\r\n')]);
}


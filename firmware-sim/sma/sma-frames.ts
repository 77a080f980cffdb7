import type { SmaStatus } from '../../edge-agent/drivers/sma/parser.js';

/** What an SMA standard reply says, before it is laid out. */
export interface SmaReplyFields {
  /** Default `none` (a blank status). */
  status?: SmaStatus;
  /** Multi-interval range, 1–9 (default 1). */
  range?: number;
  /** Gross (default), net, or the stored tare (the reply to M). */
  mode?: 'gross' | 'net' | 'tare';
  /** High-resolution (×10) weight, the reply to H: the mode letter is lower case. */
  highResolution?: boolean;
  /** The scale is in motion (default false). */
  motion?: boolean;
  /** The value in `unit`; absent, or with an error status (E, I, T), the weight field is dashes. */
  value?: number;
  /** kg (default), g, t, lb, or another unit such as oz; '' for a blank unit. */
  unit?: string;
  /** Digits after the point (default 2). */
  decimals?: number;
}

const STATUS_CHAR: Record<SmaStatus, string> = {
  none: ' ',
  zero: 'Z',
  over: 'O',
  under: 'U',
  'zero-error': 'E',
  'initial-zero-error': 'I',
  'tare-error': 'T',
  'not-displayed': 'e',
};
const WEIGHT_WIDTH = 10;
const UNIT_WIDTH = 3;

/**
 * Lays out one standard reply, `<LF>` s r n m f weight(10) unit(3) `<CR>`: the exact inverse of
 * parseSmaReply (edge-agent/drivers/sma/parser.ts). Throws RangeError for what does not fit.
 */
export function encodeSmaReply(fields: SmaReplyFields): Buffer {
  const { status = 'none', range = 1, mode = 'gross', highResolution = false, motion = false, value, unit = 'kg', decimals = 2 } = fields;
  if (!Number.isInteger(range) || range < 1 || range > 9) throw new RangeError(`range ${range} is not 1–9`);
  if (mode === 'tare' && highResolution) throw new RangeError('a tare reply has no high-resolution form');
  if (unit.length > UNIT_WIDTH) throw new RangeError(`unit "${unit}" is longer than ${UNIT_WIDTH} characters`);
  const letter = { gross: 'G', net: 'N', tare: 'T' }[mode];
  const errored = status === 'zero-error' || status === 'initial-zero-error' || status === 'tare-error';
  const weight = value === undefined || errored ? '-'.repeat(WEIGHT_WIDTH) : value.toFixed(decimals).padStart(WEIGHT_WIDTH);
  if (weight.length > WEIGHT_WIDTH) throw new RangeError(`"${weight}" does not fit in ${WEIGHT_WIDTH} characters`);
  const text =
    STATUS_CHAR[status] +
    String(range) +
    (highResolution ? letter.toLowerCase() : letter) +
    (motion ? 'M' : ' ') +
    ' ' + // reserved
    weight +
    unit.padEnd(UNIT_WIDTH);
  return Buffer.from(`\n${text}\r`, 'latin1');
}

/** `<LF>?<CR>`: the reply to a command the scale does not know. */
export function encodeSmaUnrecognized(): Buffer {
  return Buffer.from('\n?\r', 'latin1');
}

/** A host command as it goes on the wire: `<LF>W<CR>`. */
export function encodeSmaCommand(command: string): Buffer {
  return Buffer.from(`\n${command}\r`, 'latin1');
}

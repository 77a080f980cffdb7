export type SartoriusFrameStatus = 'stable' | 'unstable' | 'overload' | 'underload';

/** What a frame says, before it is laid out in the 16- or 22-character format. */
export interface SartoriusFrameFields {
  status: SartoriusFrameStatus;
  /** The displayed value in `unit`; ignored out of range. */
  value?: number;
  /** kg (default), g, lb, t, or a non-mass unit such as pcs or %. Left out of the frame while unstable. */
  unit?: string;
  /** Digits after the point (default 2). */
  decimals?: number;
  /**
   * ID code of the 22-character format (`G#` gross, `N` net, `T` tare…; `Stat` is used by itself out of
   * range), up to 6 characters; absent: the 16-character format.
   */
  id?: string;
}

/**
 * Lays out one SBI frame with its CR LF: the exact inverse of parseSartoriusFrame
 * (edge-agent/drivers/sartorius/parser.ts). Sign, 9 characters of weight (leading zeros as spaces), a
 * space, 3 of unit; a 6-character ID code in front in the 22-character format. Out of range, `H` or `L`
 * stands in place of the weight, on a `Stat` line in the 22-character format.
 * Throws RangeError for a value or an ID that does not fit.
 */
export function encodeSartoriusFrame(fields: SartoriusFrameFields): Buffer {
  const { status, value = 0, unit = 'kg', decimals = 2 } = fields;
  let body: string;
  let id = fields.id;
  if (status === 'overload' || status === 'underload') {
    body = `      ${status === 'overload' ? 'H' : 'L'}       `;
    if (id !== undefined) id = 'Stat';
  } else {
    const magnitude = Math.abs(value).toFixed(decimals).padStart(9);
    if (magnitude.length > 9) throw new RangeError(`${value} does not fit in 9 characters with ${decimals} decimals`);
    if (unit.length > 3) throw new RangeError(`unit "${unit}" is longer than 3 characters`);
    body = `${value < 0 ? '-' : '+'}${magnitude} ${(status === 'stable' ? unit : '').padEnd(3)}`;
  }
  if (id !== undefined && id.length > 6) throw new RangeError(`ID code "${id}" is longer than 6 characters`);
  return Buffer.from(`${id === undefined ? '' : id.padEnd(6)}${body}\r\n`, 'latin1');
}

/** What an Ohaus print line says, before it is laid out. */
export interface OhausLineFields {
  stable: boolean;
  value: number;
  /** kg (default), g, lb… */
  unit?: string;
  /** Digits after the point (default 2). */
  decimals?: number;
  /** `NET` after a tare, as the legend. */
  net?: boolean;
}

/**
 * Lays out one print line with its CR LF: the exact inverse of parseOhausLine
 * (edge-agent/drivers/ohaus/parser.ts): weight right-justified in 11, a space, the unit, a space, `?` when
 * unstable (a space when stable), and `NET` after a tare. Throws RangeError for a value that does not fit.
 */
export function encodeOhausLine(fields: OhausLineFields): Buffer {
  const { unit = 'kg', decimals = 2 } = fields;
  const weight = fields.value.toFixed(decimals);
  if (weight.length > 11) throw new RangeError(`${weight} does not fit in 11 characters`);
  return Buffer.from(`${weight.padStart(11)} ${unit} ${fields.stable ? ' ' : '?'}${fields.net ? ' NET' : ''}\r\n`, 'latin1');
}

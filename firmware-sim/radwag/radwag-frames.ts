/** What a Radwag mass result says, before it is laid out. */
export interface RadwagResultFields {
  /** The command answered (default `SI`). */
  command?: string;
  /** `stable` (a space), `unstable` (`?`), or a checkweighing threshold exceeded (`^` high, `v` low). */
  marker?: 'stable' | 'unstable' | 'high' | 'low';
  /** The value in `unit`; absent, `text` stands in its place (`-FULL-`…). */
  value?: number;
  text?: string;
  /** kg (default), g, lb… */
  unit?: string;
  /** Digits after the point (default 2). */
  decimals?: number;
}

const MARKERS = { stable: ' ', unstable: '?', high: '^', low: 'v' } as const;

/**
 * Lays out one mass result with its CR LF: the exact inverse of parseRadwagReply
 * (edge-agent/drivers/radwag/parser.ts): command (3 characters, left-aligned), a space, the stability
 * marker, a space, the sign, 9 characters of mass right-aligned, a space, 3 of unit left-aligned.
 * Throws RangeError for a value that does not fit.
 */
export function encodeRadwagResult(fields: RadwagResultFields): Buffer {
  const { command = 'SI', marker = 'stable', unit = 'kg', decimals = 2 } = fields;
  const mass = fields.text ?? Math.abs(fields.value ?? 0).toFixed(decimals);
  if (mass.length > 9) throw new RangeError(`${mass} does not fit in 9 characters`);
  const sign = fields.value !== undefined && fields.value < 0 ? '-' : ' ';
  return Buffer.from(`${command.padEnd(3)} ${MARKERS[marker]} ${sign}${mass.padStart(9)} ${unit.padEnd(3)}\r\n`, 'latin1');
}

/** A command's acknowledgement (`A` in progress, `D` done) or refusal (`I`, `^`, `v`, `E`), with its CR LF. */
export function encodeRadwagStatus(command: string, code: 'A' | 'D' | 'I' | '^' | 'v' | 'E'): Buffer {
  return Buffer.from(`${command} ${code}\r\n`, 'latin1');
}

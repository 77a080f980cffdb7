import { mask7, parseWeight, splitValueUnit } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

/** The scale status, first character of a reply. */
export type SmaStatus = 'none' | 'zero' | 'over' | 'under' | 'zero-error' | 'initial-zero-error' | 'tare-error' | 'not-displayed';

/** One SMA reply frame, as the driver acts on it. */
export type SmaReply =
  /** The standard reply (to W, Z, T…): status, and what it means as a reading. */
  | { kind: 'weight'; status: SmaStatus; reading: ScaleReading }
  /** `<LF>?<CR>`: the scale did not recognise the command. */
  | { kind: 'unrecognized' };

export type SmaParseResult = { ok: true; reply: SmaReply } | { ok: false; reason: string };

const STATUS: Record<string, SmaStatus> = {
  ' ': 'none',
  Z: 'zero', // centre of zero: still a weight (0)
  O: 'over',
  U: 'under',
  E: 'zero-error',
  I: 'initial-zero-error',
  T: 'tare-error',
  e: 'not-displayed', // Cardinal: the weight is not on the display (check)
};

const NOT_MASS: Partial<Record<SmaStatus, string>> = {
  'zero-error': 'zero error (E)',
  'initial-zero-error': 'initial zero error (I)',
  'tare-error': 'tare error (T)',
  'not-displayed': 'weight not displayed (e)',
};

/** Gross, net, tare (the reply to M), and the high-resolution (×10) gross and net of the H command. */
const MODES = new Set(['G', 'N', 'T', 'g', 'n']);
/** Control bytes at either end: a line-break NUL or DEL. Never spaces: a blank status is meaningful. */
const EDGE_CONTROL = /^[\x00-\x1f\x7f]+|[\x00-\x1f\x7f]+$/g;

/**
 * Parses one SMA SCP-0499 reply, its LF and CR already removed:
 * status, range, G/N/T, M or space, a reserved character, a 10-character weight and a 3-character unit.
 * Never throws. Bytes are masked to 7 bits; the status is read before the weight, so that an error's dashes
 * or an overload's value are never a weighing. Weight and unit are told apart by the unit's letters, so a
 * wider weight field (some indicators send 11) or a trimmed unit still reads.
 */
export function parseSmaReply(frame: Buffer | string): SmaParseResult {
  const bytes = typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame;
  const text = mask7(bytes).toString('latin1').replace(EDGE_CONTROL, '');
  if (text === '?') return ok({ kind: 'unrecognized' });
  if (text.length < 6) return fail(`reply too short (${text.length} characters)`);
  const s = text.charAt(0);
  const range = text.charAt(1);
  const mode = text.charAt(2);
  const motion = text.charAt(3);
  const status = Object.hasOwn(STATUS, s) ? STATUS[s]! : undefined;
  if (!status) return fail(`unknown status "${s}"`);
  if (!/^\d$/.test(range)) return fail(`range "${range}" is not a digit`);
  if (!MODES.has(mode)) return fail(`unknown gross/net flag "${mode}"`);
  if (motion !== 'M' && motion !== ' ') return fail(`unknown motion flag "${motion}"`);
  const weight = (reading: ScaleReading): SmaParseResult => ok({ kind: 'weight', status, reading });

  // Status first: out-of-range replies still carry a value, error replies dashes.
  if (status === 'over') return weight({ kind: 'overload' });
  if (status === 'under') return weight({ kind: 'underload' });
  const notMass = NOT_MASS[status];
  if (notMass) return weight({ kind: 'not-mass', reason: notMass });

  const [value, unit] = splitValueUnit(text.slice(5));
  // Dashes with a plain status: no standstill within the scale's timeout (P and Q commands).
  if (/^-+$/.test(value.trim())) return weight({ kind: 'not-mass', reason: 'no weight shown (dashes)' });
  if (mode === 'T') return weight({ kind: 'not-mass', reason: 'tare weight (T)' });
  const parsed = parseWeight(value, unit);
  if (parsed.kind === 'invalid') return fail(parsed.reason);
  if (parsed.kind === 'not-mass') return weight(parsed);
  return weight({ kind: 'mass', kg: parsed.kg, stable: motion === ' ', net: mode === 'N' || mode === 'n' });
}

function ok(reply: SmaReply): SmaParseResult {
  return { ok: true, reply };
}

function fail(reason: string): SmaParseResult {
  return { ok: false, reason };
}

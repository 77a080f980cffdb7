import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

/**
 * One Ohaus print line, as the driver acts on it (OHAUS RS232 interface manual, « Output format », EN-3:
 * weight right-justified in 11–12 characters, a space, the unit in 1–5, a space, the stability indicator,
 * « ? » when unstable and blank when stable, then the legend: NET, G/N, or a mode's).
 */
export type OhausReply = { kind: 'reading'; reading: ScaleReading } | { kind: 'ok' } | { kind: 'refused'; reason: string };

export type OhausParseResult = { ok: true; reply: OhausReply } | { ok: false; reason: string };

const EDGE_CONTROL = /^[\x00-\x1f\x7f]+|[\x00-\x1f\x7f]+$/g;
/**
 * Weight (its minus sign against the digits, so that noise before a weight cannot make it negative), unit,
 * then what follows it: `?` and the legend.
 */
const LINE = /(?<![\d.])(-?\d+(?:\.\d+)?)\s+([A-Za-z%]+)(?:\s+(\?))?(?:\s+(NET|N|G|GROSS|T|TARE|WET WT|AIR WT|[A-Z][A-Z ]*))?\s*$/;
/** The narrowest weight field of the manual's formats (format 2: 10 characters). */
const RIGHT_JUSTIFIED = 10;
/** The legends that say net. */
const NET = new Set(['NET', 'N']);
/** Over and under range, as the display shows them in place of a weight. */
const OVER = /^-*\s*(OL|O-?L|OVER|HIGH|-{5,})\s*$/i;

/**
 * Parses one Ohaus line, CR LF removed. Never throws. Bytes are masked to 7 bits. The weight is stable only
 * when its stability field is blank, as the manual says: « ? » is unstable. Noise before the weight on its
 * line is skipped: the weight is the last number on the line followed by a unit.
 */
export function parseOhausLine(line: Buffer | string): OhausParseResult {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  const text = mask7(bytes).toString('latin1').replace(EDGE_CONTROL, '');
  const trimmed = text.trim();
  if (!trimmed) return fail('empty line');
  if (trimmed === 'OK!' || trimmed === 'OK') return ok({ kind: 'ok' });
  if (trimmed === 'ES') return ok({ kind: 'refused', reason: 'the balance did not recognise the command (ES)' });
  if (OVER.test(trimmed)) return ok({ kind: 'reading', reading: { kind: 'overload' } });
  const m = LINE.exec(text);
  if (!m) return fail(`not an Ohaus weight line: "${trimmed.slice(0, 24)}"`);
  const [, weight, unit, unstable, legend] = m as unknown as [string, string, string, string | undefined, string | undefined];
  // The weight is right-justified in a field of 10 or more: spaces before it, not another protocol's letters.
  const pad = Math.max(0, RIGHT_JUSTIFIED - weight.length);
  if (m.index < pad || text.slice(m.index - pad, m.index).trim() !== '') return fail(`not an Ohaus weight field (right-justified in ${RIGHT_JUSTIFIED} characters): "${trimmed.slice(0, 24)}"`);
  const parsed = parseWeight(weight, unit);
  if (parsed.kind === 'invalid') return fail(parsed.reason);
  if (parsed.kind === 'not-mass') return ok({ kind: 'reading', reading: parsed });
  const net = legend !== undefined && NET.has(legend.trim());
  return ok({ kind: 'reading', reading: { kind: 'mass', kg: parsed.kg === 0 ? 0 : parsed.kg, stable: unstable === undefined, net } });
}

function ok(reply: OhausReply): OhausParseResult {
  return { ok: true, reply };
}

function fail(reason: string): OhausParseResult {
  return { ok: false, reason };
}

import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';
import type { LineConfig } from './config.js';

export type LineParseResult = { ok: true; reading: ScaleReading } | { ok: false; reason: string };

/** A line reader compiled from a config: the pattern once, each line through it. */
export function lineParser(config: LineConfig): (line: Buffer | string) => LineParseResult {
  // Unanchored at the start: noise before a frame on its line is skipped, the last match reads.
  const re = new RegExp(config.pattern);
  const says = (groups: Record<string, string | undefined>, rule: LineConfig['stable']): boolean =>
    rule !== undefined && rule.equals.includes((groups[rule.part] ?? '').trim());
  return (line) => {
    const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
    const text = mask7(bytes).toString('latin1').replace(/[\x00-\x1f\x7f]+$/, '');
    const m = re.exec(text);
    if (!m?.groups) return { ok: false, reason: `the line does not match the pattern: "${text.trim().slice(0, 32)}"` };
    const g = m.groups as Record<string, string | undefined>;
    // Out of range first: the weight part then holds filler.
    if (says(g, config.overload)) return { ok: true, reading: { kind: 'overload' } };
    if (says(g, config.underload)) return { ok: true, reading: { kind: 'underload' } };
    const weight = (g.weight ?? '').replace(/\s+/g, '');
    const parsed = parseWeight(weight, (g.unit ?? config.unit ?? '').trim());
    if (parsed.kind === 'invalid') return { ok: false, reason: parsed.reason };
    if (parsed.kind === 'not-mass') return { ok: true, reading: parsed };
    // Stable only as the config says the scale says it.
    const stable = config.stable ? says(g, config.stable) : !says(g, config.moving);
    return { ok: true, reading: { kind: 'mass', kg: parsed.kg === 0 ? 0 : parsed.kg, stable, net: says(g, config.net) } };
  };
}

import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

/**
 * One Radwag reply, as the driver acts on it. RADWAG balances' « communication protocol » (R series user
 * manual, § 15 « Communication protocol », response format p. 83; the same in the AS R2 plus manual § 14.2.1).
 */
export type RadwagReply =
  /** A mass result (S, SI, SU, SUI, continuous C1/CU1): what it means as a reading. */
  | { kind: 'reading'; command: string; reading: ScaleReading }
  /** `XX A`: understood, in progress (zero and tare answer this first, then `XX D`). */
  | { kind: 'in-progress'; command: string }
  /** `XX D`: done. */
  | { kind: 'done'; command: string }
  /** `XX I` (not accessible now), `XX ^`/`XX v` (a threshold exceeded), `XX E` (no stable result in time), `ES`. */
  | { kind: 'refused'; command: string; reason: string };

export type RadwagParseResult = { ok: true; reply: RadwagReply } | { ok: false; reason: string };

const REFUSALS: Record<string, string> = {
  I: 'understood but not accessible at this moment (I)',
  '^': 'understood, but the max threshold is exceeded (^)',
  v: 'understood, but the min threshold is exceeded (v)',
  E: 'time limit exceeded while waiting for a stable result (E)',
};

/** Control bytes at either end of a line: a line-break NUL, a DEL. */
const EDGE_CONTROL = /^[\x00-\x1f\x7f]+|[\x00-\x1f\x7f]+$/g;
/**
 * A mass result: the command (padded to 3), a space, the stability marker (`?` unstable, `^`/`v` a limit
 * exceeded, a space when stable), a space, the sign (space or `-`), 9 characters of mass right-aligned, a
 * space, the unit left-aligned in 3. The widths are the manual's: they tell a Radwag line from another
 * protocol's that also has a letter, a weight and a unit.
 */
/** The commands whose reply is a mass result. */
const RESULT_COMMANDS = 'S|SI|SU|SUI|C1|CU1';
const RESULT = new RegExp(`^(${RESULT_COMMANDS}) +([?^v ]) ([- ])(.{9}) (\\S{1,3}) *$`);
/** Where a reply could start: a result, or a command's acknowledgement or refusal. */
const REPLY_START = new RegExp(`(?:${RESULT_COMMANDS}|Z|T|UT|OT|ES)(?= |$)`, 'g');
/** A command's acknowledgement or refusal: `XX A`, `XX D`, `XX I`, `XX ^`, `XX v`, `XX E`. */
const STATUS_LINE = /^([A-Z][A-Z0-9]{0,3}) ([ADI^vE])$/;
/** What the display shows instead of a mass, from the manuals' error list. */
const OVER_TEXT = /^-?(FULL|HI|OL|OVER)-?$/i;
const UNDER_TEXT = /^-?(LO|UL|LH|NULL)-?$/i;

/**
 * Parses one Radwag reply line, CR LF already removed. Never throws. Bytes are masked to 7 bits. A result is
 * stable only when its marker is a space, as the protocol says: `?` is moving, and `^` or `v` (a checkweighing
 * threshold) leaves stability unsaid, so it is not stable either. Noise before a reply on its line is skipped:
 * the reply is the last place one starts that reads whole.
 */
export function parseRadwagReply(line: Buffer | string): RadwagParseResult {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  const text = mask7(bytes).toString('latin1').replace(EDGE_CONTROL, '');
  if (!text.trim()) return fail('empty reply');
  const whole = parseText(text);
  if (whole.ok) return whole;
  for (const m of [...text.matchAll(REPLY_START)].reverse()) {
    if (m.index === 0) continue;
    const tail = parseText(text.slice(m.index));
    if (tail.ok) return tail;
  }
  return whole;
}

function parseText(text: string): RadwagParseResult {
  if (text.trim() === 'ES') return ok({ kind: 'refused', command: '', reason: 'the balance did not recognise the command (ES)' });
  const status = STATUS_LINE.exec(text.trimEnd());
  if (status) {
    const [, command, code] = status as unknown as [string, string, string];
    if (code === 'A') return ok({ kind: 'in-progress', command });
    if (code === 'D') return ok({ kind: 'done', command });
    return ok({ kind: 'refused', command, reason: `${command}: ${REFUSALS[code]}` });
  }
  const result = RESULT.exec(text);
  if (!result) return fail(`not a Radwag reply: "${text.trim().slice(0, 24)}"`);
  const [, command, marker, sign, field, unit] = result as unknown as [string, string, string, string, string, string];
  const mass = field.trim();
  const reading = (r: ScaleReading): RadwagParseResult => ok({ kind: 'reading', command, reading: r });
  if (OVER_TEXT.test(mass)) return reading({ kind: 'overload' });
  if (UNDER_TEXT.test(mass)) return reading({ kind: 'underload' });
  const parsed = parseWeight(`${sign === '-' ? '-' : ''}${mass}`, unit);
  if (parsed.kind === 'invalid') return fail(parsed.reason);
  if (parsed.kind === 'not-mass') return reading(parsed);
  return reading({ kind: 'mass', kg: parsed.kg === 0 ? 0 : parsed.kg, stable: marker === ' ', net: false });
}

function ok(reply: RadwagReply): RadwagParseResult {
  return { ok: true, reply };
}

function fail(reason: string): RadwagParseResult {
  return { ok: false, reason };
}

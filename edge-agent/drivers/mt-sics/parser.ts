import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

export type MtSicsErrorCode = 'ES' | 'ET' | 'EL';

/** One MT-SICS reply line, as the driver acts on it. */
export type MtSicsReply =
  /** The replies to S, SI and SIR: `S S`/`S D` a weight, `S I` busy (not a mass), `S +`/`S -` out of range. */
  | { kind: 'reading'; id: 'S'; reading: ScaleReading }
  /** `T S <tare> <unit>`: the balance took this tare and now shows net. */
  | { kind: 'tare'; id: 'T'; tareKg: number }
  /** `Z A`: zero set (the tare is cleared with it). */
  | { kind: 'zeroed'; id: 'Z' }
  /** `I4 A "<serial>"`: the reply to `@` and `I4`, and the power-up line of many balances. */
  | { kind: 'identification'; id: 'I4'; serial: string }
  /** Zero or tare understood but not done: `Z I`/`T I` busy or unstable, `Z +`/`T -` out of its range. */
  | { kind: 'refused'; id: 'Z' | 'T'; reason: string }
  /** `ES`/`ET`/`EL`: the balance did not take the last command, whichever it was. */
  | { kind: 'error'; id: MtSicsErrorCode; reason: string };

export type MtSicsParseResult = { ok: true; reply: MtSicsReply } | { ok: false; reason: string };

const ERRORS: Record<MtSicsErrorCode, string> = {
  ES: 'syntax error: the balance did not recognise the command (ES)',
  ET: 'transmission error: the balance received a garbled command (ET)',
  EL: 'logical error: the balance cannot run the command now (EL)',
};

const REFUSED: Record<'Z' | 'T', Record<string, string>> = {
  Z: {
    I: 'zero not done: balance busy or not stable in time (Z I)',
    '+': 'zero not done: above the zeroing range (Z +)',
    '-': 'zero not done: below the zeroing range (Z -)',
  },
  T: {
    I: 'tare not done: balance busy or not stable in time (T I)',
    '+': 'tare not done: above the taring range (T +)',
    '-': 'tare not done: below the taring range (T -)',
  },
};

/** Control bytes at either end: a line-break NUL, a DEL (0xFF masked), a lone CR before CR LF. */
const EDGE_CONTROL = /^[\x00-\x1f\x7f]+|[\x00-\x1f\x7f]+$/g;
const IDENTIFICATION = /^I4 A "(.*)"$/;

/**
 * Parses one MT-SICS reply line, CR LF already removed. Never throws. Bytes are masked to 7 bits first
 * (parity on 7-bit links); the status token is read before the weight so that an out-of-range or busy
 * reply is never a number. Fields are separated by any run of spaces: the weight is right-aligned in its
 * field with the sign against the first digit.
 */
export function parseMtSicsReply(line: Buffer | string): MtSicsParseResult {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  const text = mask7(bytes).toString('latin1').replace(EDGE_CONTROL, '').trim();
  if (!text) return fail('empty reply');
  const whole = parseText(text);
  if (whole.ok) return whole;
  // Noise before a reply on the same line (a glitch on the RS-232, a balance waking up): the reply is
  // the last place a reply starts that reads whole (noise may end in a letter glued to it).
  for (const at of replyStarts(text).reverse()) {
    const tail = parseText(text.slice(at));
    if (tail.ok) return tail;
  }
  return whole;
}

/** Where a reply could begin: `S S`, `T I`, `Z A`, `I4 A`, a lone `ES`… */
const REPLY_START = /[STZ] [SDIA+-](?: |$)|I4 A |E[STL]$/g;
function replyStarts(text: string): number[] {
  return [...text.matchAll(REPLY_START)].map((m) => m.index).filter((i) => i > 0);
}

function parseText(text: string): MtSicsParseResult {
  const identification = IDENTIFICATION.exec(text);
  if (identification) return ok({ kind: 'identification', id: 'I4', serial: identification[1]! });

  const [id = '', status, ...fields] = text.split(/\s+/);
  if (status === undefined && Object.hasOwn(ERRORS, id)) {
    const code = id as MtSicsErrorCode;
    return ok({ kind: 'error', id: code, reason: ERRORS[code] });
  }
  switch (id) {
    case 'S':
      return weightReply(status, fields);
    case 'T':
      if (status === 'S') {
        const tare = weightFields(fields);
        if (tare.kind === 'kg') return ok({ kind: 'tare', id: 'T', tareKg: tare.kg });
        return fail(`tare reply: ${tare.reason}`);
      }
      return refused('T', status);
    case 'Z':
      if (status === 'A') return ok({ kind: 'zeroed', id: 'Z' });
      return refused('Z', status);
  }
  return fail(`unexpected reply "${id.slice(0, 16)}"`);
}

function weightReply(status: string | undefined, fields: string[]): MtSicsParseResult {
  const reading = (r: ScaleReading): MtSicsParseResult => ok({ kind: 'reading', id: 'S', reading: r });
  switch (status) {
    case 'S':
    case 'D': {
      const weight = weightFields(fields);
      if (weight.kind === 'invalid') return fail(weight.reason);
      if (weight.kind === 'not-mass') return reading(weight);
      return reading({ kind: 'mass', kg: weight.kg, stable: status === 'S', net: false });
    }
    case 'I':
      return reading({ kind: 'not-mass', reason: 'balance busy or not stable in time (S I)' });
    case '+':
      return reading({ kind: 'overload' });
    case '-':
      return reading({ kind: 'underload' });
    case undefined:
      return fail('weight reply without a status');
  }
  return fail(`unknown weight status "${status.slice(0, 8)}"`);
}

/** `<weight> <unit>` and nothing else. */
function weightFields(fields: string[]): ReturnType<typeof parseWeight> {
  if (fields.length > 2) return { kind: 'invalid', reason: `unexpected fields after the unit: "${fields.slice(2).join(' ')}"` };
  if (fields.length === 0) return { kind: 'invalid', reason: 'no weight in the reply' };
  return parseWeight(fields[0]!, fields[1] ?? '');
}

function refused(id: 'Z' | 'T', status: string | undefined): MtSicsParseResult {
  const reason = status !== undefined && Object.hasOwn(REFUSED[id], status) ? REFUSED[id][status] : undefined;
  if (!reason) return fail(`unknown ${id} status "${(status ?? '').slice(0, 8)}"`);
  return ok({ kind: 'refused', id, reason });
}

function ok(reply: MtSicsReply): MtSicsParseResult {
  return { ok: true, reply };
}

function fail(reason: string): MtSicsParseResult {
  return { ok: false, reason };
}

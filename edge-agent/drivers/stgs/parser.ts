import { mask7, parseWeight, splitValueUnit } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';
import type { StgsFormat, StgsFrameFormat } from './config.js';

export type StgsParseResult =
  | { ok: true; reading: ScaleReading; format: StgsFrameFormat }
  | { ok: false; reason: string };

/** Status headers each format may send; a forced format refuses the others. */
const STATUS_BY_FORMAT: Record<StgsFrameFormat, readonly string[]> = {
  'ad-balance': ['ST', 'US', 'OL', 'QT'],
  // OL too: CAS indicators in their "AND 18 bytes" mode send it in this layout.
  'ad-indicator': ['ST', 'US', 'LO', 'OL'],
  cas: ['ST', 'US', 'OL'],
  // ER: in an extended string, the remote scale is in error.
  dini: ['ST', 'US', 'OL', 'UL', 'TL', 'ER'],
};

/**
 * The status headers of every format: where a frame may start. Anything before one on the line (a Dini 485
 * address and scale number, line-break garbage) is skipped.
 */
const HEADER_CODES = 'ST|US|OL|QT|LO|UL|TL|ER';
const HEADER = new RegExp(`(?:${HEADER_CODES}),`, 'g');
/** A header right before a position: that position holds a frame's second header, not a frame. */
const HEADER_BEFORE = new RegExp(`^(?:${HEADER_CODES}),$`);
/** Second header: gross, net, tare; Dini also streams microvolts (VL) and converter points (RZ). */
const SECOND_HEADER = /^(GS|NT|TR|VL|RZ),/;
/** Adam Equipment's gross/net header, glued to the weight's sign (a space when positive). */
const ADAM_MODE = /^(GS|NT)(?=[ +-])/;
/** An A&D balance's comparator result, after the status header: go, under, over, or no result. */
const COMPARATOR = /^(?:OK|LO|HI|--),/;
/** A Dini weight or tare field: 10 characters with sign and point, right-aligned. */
const DINI_FIELD = '([ +\\-\\d.]{10})';
/**
 * Dini Argeo's extended strings (3590E technical manual E-AF03_05.01_14.07_EN_T): the « AF » string
 * (§ 5.4 p. 65) `ST,1,     12.50kg,PT      2.00kg` after the status, the scale number, the gross weight and the
 * tare; the answer to `REXT` (p. 69) `1,ST,     10.50,PT      2.00,         0,         0,kg`, whose status comes
 * after the scale number, then the net weight and the tare. `PT`: a tare typed in, else two spaces.
 */
const DINI_AF = new RegExp(`^\\d,${DINI_FIELD}([ A-Za-z]{2}),(?:PT|  )${DINI_FIELD}([ A-Za-z]{2})$`);
const DINI_REXT = new RegExp(`^${DINI_FIELD},(?:PT|  )${DINI_FIELD},${DINI_FIELD},${DINI_FIELD},([ A-Za-z]{2})$`);
/** The widest weight field of the family (A&D balance: sign and 8 characters). */
const MAX_NUMBER_CHARS = 9;
/** Dini's extended strings give 10 characters to a weight with its sign and point. */
const DINI_NUMBER_CHARS = 10;

/**
 * Parses one ST,GS-family frame, CR LF already removed, into a reading or the reason it is unusable.
 * Never throws. Bytes are masked to 7 bits first (parity on 7E1 links), and the status header is read
 * before the number so that an out-of-range filler (`+9999999E+19`, dashes, spaces) is never a weight.
 */
export function parseStgsFrame(line: Buffer | string, format: StgsFormat = 'auto'): StgsParseResult {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  if (bytes.length === 0) return fail('empty frame');
  // Stray CR, NUL or DEL at the end (a lone CR before CR LF, a line break) is not part of the frame.
  const text = mask7(bytes).toString('latin1').replace(/[\x00-\x1f\x7f]+$/, '');

  // Noise before the frame may hold a header of its own (`OL,` among random bytes): the frame is the last
  // header that reads whole. A header right after another is that frame's second one (A&D's comparator
  // `ST,LO,…`), not a frame.
  const starts = [...text.matchAll(HEADER)].map((m) => m.index).filter((i) => !(i >= 3 && HEADER_BEFORE.test(text.slice(i - 3, i))));
  let firstReason: string | undefined;
  for (const at of [...starts].reverse()) {
    const result = parseFrom(text.slice(at), format);
    if (result.ok) return result;
    firstReason = result.reason;
  }
  if (firstReason) return fail(firstReason);
  const refused = /EC,(E\w+)/.exec(text);
  if (refused) return fail(`the device refused a command (EC,${refused[1]})`);
  return fail('no status header (ST, US, OL…) in the frame');
}

/** `text` starts at a status header and its comma. */
function parseFrom(text: string, format: StgsFormat): StgsParseResult {
  const status = text.slice(0, 2);
  const rest = text.slice(3);
  if (format === 'auto' || format === 'dini') {
    const extended = diniExtended(status, rest);
    if (extended) return extended;
  }
  if (status === 'ER') return fail('ER outside a Dini extended string');
  const second = SECOND_HEADER.exec(rest);
  if (!second) {
    // Adam Equipment's continuous output: GS or NT glued to the sign, no comma (`ST,GS-    123.45 g `).
    const adam = ADAM_MODE.exec(rest);
    if (adam && (format === 'auto' || format === 'ad-indicator')) return finish('ad-indicator', status, adam[1], ...splitValueUnit(rest.slice(2)));
    if (format !== 'auto' && format !== 'ad-balance') return fail(`${format} frame without GS/NT/TR header`);
    // A&D balances: the comparator's result as a second header (OK, LO, HI, --) when it is on; with the CSV
    // output setting, a comma before the unit. Neither changes the weight.
    const body = rest.replace(COMPARATOR, '');
    const [value, unit] = splitValueUnit(body);
    return finish('ad-balance', status, undefined, value.replace(/,\s*$/, ''), unit);
  }
  if (format === 'ad-balance') return fail('ad-balance frame with a second header');
  const kind = second[1]!;
  const payload = rest.slice(3);
  const fmt = format === 'auto' ? detect(payload) : format;
  switch (fmt) {
    case 'cas': {
      // Device id byte, lamp byte (bit 6 stable), comma, then the weight and unit.
      if (payload.length < 4 || payload[2] !== ',') return fail('CAS frame without id and lamp bytes');
      const lampStable = (payload.charCodeAt(1) & 0x40) !== 0;
      return finish('cas', status, kind, ...splitValueUnit(payload.slice(3)), lampStable);
    }
    case 'dini': {
      const comma = payload.lastIndexOf(',');
      if (comma < 0) return fail('Dini frame without a comma before the unit');
      return finish('dini', status, kind, payload.slice(0, comma), payload.slice(comma + 1));
    }
    default:
      return finish('ad-indicator', status, kind, ...splitValueUnit(payload));
  }
}

/**
 * A Dini extended string, if `rest` is one. Both say the net weight explicitly (REXT gives it, AF gives
 * gross and tare): net when the tare is not zero. `ER` is a device fault, never a weight.
 */
function diniExtended(status: string, rest: string): StgsParseResult | undefined {
  const af = DINI_AF.exec(rest);
  const rext = af ? undefined : DINI_REXT.exec(rest);
  if (!af && !rext) return undefined;
  if (status === 'ER') return fail('the indicator reports its remote scale in error (ER)');
  const [weightField, weightUnit, tareField, tareUnit] = af ? [af[1]!, af[2]!, af[3]!, af[4]!] : [rext![1]!, rext![5]!, rext![2]!, rext![5]!];
  if (weightUnit.trim().toLowerCase() !== tareUnit.trim().toLowerCase()) return fail(`Dini extended string with a weight in ${weightUnit.trim()} and a tare in ${tareUnit.trim()}`);
  const tare = parseWeight(tareField, tareUnit);
  if (tare.kind !== 'kg' && !['OL', 'UL'].includes(status)) return tare.kind === 'invalid' ? fail(`tare: ${tare.reason}`) : { ok: true, reading: tare, format: 'dini' };
  const tareKg = tare.kind === 'kg' ? tare.kg : 0;
  if (!af) return finish('dini', status, tareKg !== 0 ? 'NT' : 'GS', weightField, weightUnit);
  // Net = gross less tare, in the display's own digits so that no float residue reaches the kilograms.
  return finish('dini', status, tareKg !== 0 ? 'NT' : 'GS', minus(weightField, tareField), weightUnit);
}

/** `a − b` of two decimal fields, written with the larger of their numbers of decimals (a field that is not a number is kept, for finish to refuse). */
function minus(a: string, b: string): string {
  const decimals = (f: string) => (f.includes('.') ? f.trim().length - f.trim().indexOf('.') - 1 : 0);
  const d = Math.max(decimals(a), decimals(b));
  const x = Number(a.trim());
  const y = Number(b.trim());
  if (a.trim() === '' || !Number.isFinite(x) || !Number.isFinite(y)) return a;
  return ((Math.round(x * 10 ** d) - Math.round(y * 10 ** d)) / 10 ** d).toFixed(d);
}

/** CAS puts a comma after its two id/lamp bytes, Dini one after the 8-character weight, A&D none. */
function detect(payload: string): StgsFrameFormat {
  if (payload[2] === ',') return 'cas';
  if (payload.includes(',')) return 'dini';
  return 'ad-indicator';
}

function finish(
  fmt: StgsFrameFormat,
  status: string,
  kind: string | undefined,
  valueField: string,
  unitField: string,
  lampStable = true,
): StgsParseResult {
  if (!STATUS_BY_FORMAT[fmt].includes(status)) return fail(`status ${status} is not sent by ${fmt}`);
  const ok = (reading: ScaleReading): StgsParseResult => ({ ok: true, reading, format: fmt });
  const value = valueField.trim();

  // Status first: out-of-range frames carry filler that looks like a number.
  switch (status) {
    case 'OL':
    case 'LO':
      // A&D balances tell the direction by the sign of their filler (OL,-9999999E+19 is under range).
      return ok({ kind: /^-\s*[\d.]/.test(value) ? 'underload' : 'overload' });
    case 'UL':
      return ok({ kind: 'underload' });
    case 'QT':
      return ok({ kind: 'not-mass', reason: 'counting mode (QT)' });
    case 'TL':
      return ok({ kind: 'not-mass', reason: 'scale not level (TL)' });
  }
  // A tare frame shows the tare alone, not what is on the platter: never a weighing.
  if (kind === 'TR') return ok({ kind: 'not-mass', reason: 'tare display (TR)' });
  if (kind === 'VL' || kind === 'RZ') return ok({ kind: 'not-mass', reason: `raw converter output (${kind})` });
  if (/^[-^]+$/.test(value.replace(/\s/g, ''))) return ok({ kind: 'overload' });

  const weight = parseWeight(valueField, unitField);
  switch (weight.kind) {
    case 'invalid':
      return fail(weight.reason);
    case 'not-mass':
      return ok(weight);
  }
  // A number, but wider than any of the family (sign and digits; padding after the sign does not count).
  if (value.replace(/\s/g, '').length > (fmt === 'dini' ? DINI_NUMBER_CHARS : MAX_NUMBER_CHARS)) return fail(`weight field "${valueField}" is not a number`);
  return ok({ kind: 'mass', kg: weight.kg, stable: status === 'ST' && lampStable, net: kind === 'NT' });
}

function fail(reason: string): StgsParseResult {
  return { ok: false, reason };
}

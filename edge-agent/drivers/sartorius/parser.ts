import { mask7, parseWeight } from '../ascii-lines.js';
import type { ScaleReading } from '../scale.js';

export type SartoriusFrameLength = 16 | 22;

export type SartoriusParseResult =
  | {
      ok: true;
      reading: ScaleReading;
      length: SartoriusFrameLength;
      /** The 6-character ID code of a 22-character frame, trimmed (`G#`, `N`, `Stat`…); '' in a 16-character frame. */
      id: string;
      /** The unit field, trimmed; '' while the balance is not stable. */
      unit: string;
    }
  | { ok: false; reason: string };

export interface SartoriusParseOptions {
  /** 16, 22, or `auto` (default): told apart by the line's length, or by an ID code in front. */
  frameLength?: 'auto' | SartoriusFrameLength;
  /** Unit of a moving frame, which carries none (the unit of the last stable frame, or the configured one). */
  unit?: string;
}

/** The 16-character frame without CR LF: sign, 9 characters of weight (pos. 2 is a space or a digit), space, 3 of unit. */
const BODY = 14;
const ID = 6;
/**
 * An ID code: a letter first (G#, N, T1, Stat, Qnt…), then letters, digits and the few signs the manuals'
 * codes use, padded with spaces. Any printable character after the letter let noise before a 16-character
 * frame pass for an ID one time in twenty, and the frame was lost as an unknown ID's value.
 */
const ID_CODE = /^[A-Za-z][A-Za-z0-9#%.+-]*\s*$/;
/** With more bytes before it on the line, an ID must also end in its padding: no code of the manuals fills all six. */
const ID_CODE_AFTER_NOISE = /^[A-Za-z][A-Za-z0-9#%.+-]{0,4}\s+$/;
/**
 * Printable text with a `?` before the frame: the instability marker of another protocol (Radwag
 * `SI ?`, some KERN and Ohaus models), not SBI noise. Its weight is moving, whatever its unit says.
 */
const FOREIGN_MOVING = /^[\x20-\x7e]*\?[\x20-\x7e]*$/;
const NET_IDS = /^(?:N\d?|Net|NET)$/;
const TARE_IDS = /^(?:P?T\d?)$/;
/** Special codes in place of the weight: over- and underload (HH, LL in checkweighing), calibration. */
const OVER = /^(?:H|HH|High)$/;
const UNDER = /^(?:L|LL|Low)$/;

/**
 * Parses one Sartorius SBI frame, CR LF already removed, into a reading or the reason it is unusable.
 * Never throws. Bytes are masked to 7 bits first (SBI is often 7O1). Special codes (`Stat` lines, H/L in
 * place of the weight) are read before the number. Garbage before a frame on the same line is skipped: a
 * frame is its last 14 (or 20) characters.
 */
export function parseSartoriusFrame(line: Buffer | string, options: SartoriusParseOptions = {}): SartoriusParseResult {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  // A stray control byte at the end (a lone CR before CR LF, a line break) is not part of the frame.
  const text = mask7(bytes).toString('latin1').replace(/[\x00-\x1f\x7f]+$/, '');
  const length = frameLength(text, options.frameLength ?? 'auto');
  if (length === undefined) {
    return fail(`${text.length + 2} characters with CR LF: an SBI frame has 16, or 22 with an ID code`);
  }
  const id = length === 22 ? text.slice(-BODY - ID, -BODY).trim() : '';
  const body = text.slice(-BODY);
  const before = text.slice(0, text.length - (length === 22 ? BODY + ID : BODY));
  const ok = (reading: ScaleReading, unit = ''): SartoriusParseResult => ({ ok: true, reading, length, id, unit });

  if (id === 'Stat' || (length === 16 && body.startsWith('Stat'))) {
    const status = (id === 'Stat' ? body : body.slice(4)).trim();
    const words = status.split(/\s+/);
    if (words.some((w) => OVER.test(w))) return ok({ kind: 'overload' });
    if (words.some((w) => UNDER.test(w))) return ok({ kind: 'underload' });
    if (/err/i.test(status)) return fail(`the balance reports an error (${status})`);
    return ok({ kind: 'not-mass', reason: `status line "${status}"` });
  }

  const sign = body[0]!;
  // Non-verified digits may be marked by brackets: `+ 123.5[6] g`.
  const weight = body.slice(1, 11).replace(/[[\]]/g, '').trim();
  const unitField = body.slice(11).trim();
  if (OVER.test(weight)) return ok({ kind: 'overload' });
  if (UNDER.test(weight)) return ok({ kind: 'underload' });
  if (weight === 'C') return ok({ kind: 'not-mass', reason: 'calibration/adjustment (C)' });
  if (/^-+$/.test(weight)) return ok({ kind: 'not-mass', reason: 'final readout test (--)' });
  if (sign !== '+' && sign !== '-' && sign !== ' ') return fail(`"${sign}" where the sign should be`);

  if (length === 22 && id !== '' && !/^G/.test(id) && !NET_IDS.test(id)) {
    return ok({ kind: 'not-mass', reason: TARE_IDS.test(id) ? `tare display (${id})` : `"${id}" value, not the weight on the pan` }, unitField);
  }
  // No unit: the balance is not stable, and the unit is that of the frames around. SBI says stable only so.
  const stable = unitField !== '' && !FOREIGN_MOVING.test(before);
  const unit = unitField !== '' ? unitField : options.unit;
  if (!unit) return ok({ kind: 'not-mass', reason: 'moving, in a unit not known until the first stable frame' });
  const parsed = parseWeight(`${sign === '-' ? '-' : ''}${weight}`, unit);
  switch (parsed.kind) {
    case 'invalid':
      return fail(parsed.reason);
    case 'not-mass':
      return ok({ kind: 'not-mass', reason: parsed.reason }, unitField);
    case 'kg':
      return ok({ kind: 'mass', kg: parsed.kg, stable, net: NET_IDS.test(id) }, unitField);
  }
}

/** Which layout a line (without CR LF) has, or undefined if it is too short for any. */
function frameLength(text: string, wanted: 'auto' | SartoriusFrameLength): SartoriusFrameLength | undefined {
  if (wanted === 22) return text.length >= BODY + ID ? 22 : undefined;
  if (wanted === 16) return text.length >= BODY ? 16 : undefined;
  if (text.length === BODY) return 16;
  if (text.length >= BODY + ID && (text.length === BODY + ID ? ID_CODE : ID_CODE_AFTER_NOISE).test(text.slice(-BODY - ID, -BODY))) return 22;
  return text.length >= BODY ? 16 : undefined;
}

function fail(reason: string): SartoriusParseResult {
  return { ok: false, reason };
}

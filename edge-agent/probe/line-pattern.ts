import { mask7 } from '../drivers/ascii-lines.js';

/** What the probe proposes for the generic `line` driver, from lines no driver read. */
export interface LinePatternProposal {
  /** The `line:` block of a device config. */
  line: {
    pattern: string;
    end: '\r\n' | '\r' | '\n';
    stable?: { part: 'mark'; equals: string[] };
    moving?: { part: 'mark'; equals: string[] };
  };
  /** Each value the marker took: on how many lines, and the share of those whose weight was the line before's. */
  marks: Array<{ value: string; lines: number; repeated: number }>;
  /** How many of the captured lines the pattern reads. */
  matched: number;
  lines: number;
}

/** A weight and a mass unit, with what comes before and after it on the line. */
const WEIGHT = /^(?<pre>.*?)(?<sign>[-+]?) *(?<num>\d+(?:\.\d+)?) *(?<unit>kg|g|lb|t)(?![A-Za-z])(?<post>.*)$/;
const MIN_LINES = 5;
const MAX_MARKS = 4;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ +/g, ' *');

function commonPrefix(values: readonly string[]): string {
  let p = values[0] ?? '';
  for (const v of values) while (!v.startsWith(p)) p = p.slice(0, -1);
  return p;
}

const reverse = (s: string) => [...s].reverse().join('');

/** The constant text around a part that varies: `ST,GS,` and `US,GS,` are `` + (ST|US) + `,GS,`. */
function split(values: readonly string[]): { before: string; marks: string[]; after: string } {
  const before = commonPrefix(values);
  const rest = values.map((v) => v.slice(before.length));
  const after = reverse(commonPrefix(rest.map(reverse)));
  return { before, marks: rest.map((v) => v.slice(0, v.length - after.length)), after };
}

/**
 * Infers a pattern for the `line` driver from text lines that hold a weight and a unit, when no driver read
 * them: the text around the weight that varies from line to line is taken for the stability marker, and the
 * value seen on lines that repeat the weight before them for « stable » (a `?` beside a blank is « moving »,
 * as Ohaus, Radwag and KERN print it). Hand-written: it knows what a scale line looks like, no library does.
 * Undefined when too few lines hold a weight, or when nothing on them varies (no marker to say stable).
 */
export function inferLinePattern(bytes: Buffer): LinePatternProposal | undefined {
  const text = mask7(bytes).toString('latin1');
  const end = text.includes('\r\n') ? '\r\n' : text.includes('\r') ? '\r' : '\n';
  // The first line may be cut by the start of the capture, the last by its end.
  const lines = text.split(end).slice(1, -1).map((l) => l.replace(/[\x00-\x1f\x7f]/g, '').trimEnd()).filter((l) => l.trim() !== '');
  const parsed = lines.map((l) => WEIGHT.exec(l)?.groups).filter((g): g is Record<string, string> => g !== undefined);
  if (parsed.length < MIN_LINES || parsed.length < lines.length / 2) return undefined;

  const pre = split(parsed.map((g) => g.pre!));
  const post = split(parsed.map((g) => g.post!));
  const varies = (s: { marks: string[] }) => new Set(s.marks.map((m) => m.trim())).size;
  const side = varies(post) > 1 ? 'post' : varies(pre) > 1 ? 'pre' : undefined;
  if (!side) return undefined;
  const where = side === 'post' ? post : pre;
  const values = [...new Set(where.marks.map((m) => m.trim()))];
  if (values.length > MAX_MARKS) return undefined;

  const marks = values.map((value) => {
    const at = where.marks.flatMap((m, i) => (m.trim() === value ? [i] : []));
    const repeated = at.filter((i) => i > 0 && parsed[i]!.num === parsed[i - 1]!.num && parsed[i]!.sign === parsed[i - 1]!.sign).length;
    return { value, lines: at.length, repeated: at.length ? repeated / at.length : 0 };
  });
  const named = values.filter((v) => v !== '');
  const mark = `(?<mark>${named.map(escape).join('|')})${values.includes('') ? '?' : ''}`;
  const units = [...new Set(parsed.map((g) => g.unit!))].join('|');
  const weight = `(?<weight>[-+]? *\\d+(?:\\.\\d+)?) *(?<unit>${units})`;
  const pattern =
    side === 'post'
      ? `${escape(pre.before.trimStart())}${weight}${escape(post.before)} *${mark} *${escape(post.after.trim())}$`
      : `${escape(pre.before)}${mark}${escape(pre.after)}${weight}${escape(post.before.trim())} *$`;

  const stability =
    values.length === 2 && values.includes('') && values.includes('?')
      ? { moving: { part: 'mark' as const, equals: ['?'] } }
      : { stable: { part: 'mark' as const, equals: [[...marks].sort((a, b) => b.repeated - a.repeated)[0]!.value] } };
  const re = new RegExp(pattern);
  return { line: { pattern, end, ...stability }, marks, matched: lines.filter((l) => re.test(l)).length, lines: lines.length };
}

import type { IPoint } from 'influx';
import { DateTime } from 'luxon';
import { localClock } from '../runtime/local-clock.js';
import { selectSeries, type InfluxSeries } from './select-series.js';
import { derivedOf, rawSumsQuery, rollupFieldTypes, storedRowsQuery, type DerivedRollup, type RollupDefinition, type RollupSpan } from './rollups.js';
import type { InfluxStore } from './store.js';

/** A span whose sums InfluxDB cannot give as numbers: a sum out of range, so its rollup is not written. */
export interface ShortRollup {
  rollup: string;
  source: string;
  site: string;
  detail: string;
}

/** Rollups that could not be brought up to date because a sum is out of range; the others were. */
export class ShortRollupError extends Error {
  constructor(readonly short: readonly ShortRollup[]) {
    super(
      `${short.length} rollup(s) not written, a sum out of range: ` +
        short.map((s) => `${s.rollup} of ${s.site} (${s.detail})`).join('; ') +
        ' (look for a raw point beyond the contract’s bounds)',
    );
    this.name = 'ShortRollupError';
  }
}

interface Row {
  time: number;
  tags: Record<string, string>;
  fields: Record<string, number>;
}

/** A row's identity in InfluxDB: its time and its non-empty tags (an empty tag is no tag). */
const rowKey = (time: number, tags: Record<string, string>) =>
  `${time}\u0000${Object.keys(tags)
    .filter((t) => tags[t] !== '')
    .sort()
    .map((t) => `${t}=${tags[t]}`)
    .join(',')}`;

/** Rows of a query's series; a field that is not a finite number is left out (the caller checks). */
function rowsOf(series: readonly InfluxSeries[], fields: readonly string[]): Row[] {
  const rows: Row[] = [];
  for (const s of series) {
    const timeCol = s.columns.indexOf('time');
    for (const values of s.values) {
      const row: Row = { time: Number(values[timeCol]), tags: { ...s.tags }, fields: {} };
      for (const f of fields) {
        const v = values[s.columns.indexOf(f)];
        if (typeof v === 'number' && Number.isFinite(v)) row.fields[f] = v;
      }
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Whether a stored rollup row already says what the sums say. InfluxDB adds a span's floats in an order
 * that depends on the range read (52.15 over March, 52.150000000000006 over the year), so kilograms are
 * equal within a billionth of their size. That never hides a real change: a new raw point changes its
 * row's count, compared exactly, and door counts are sums of whole numbers, exact in a float.
 */
const sameValue = (a: number | undefined, b: number | undefined) => a === b || (a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)));
const sameFields = (a: Row, b: Row | undefined, fields: readonly string[]) => b !== undefined && fields.every((f) => sameValue(a.fields[f], b.fields[f]));

function rollupPoint(measurement: string, row: Row): IPoint {
  const tags = Object.fromEntries(Object.entries(row.tags).filter(([, v]) => v !== ''));
  return { measurement, tags, fields: row.fields, timestamp: (BigInt(row.time) * 1_000_000n).toString() };
}

/** The derived periods (months, or hours) a span touches, [first period's start, last period's end). */
function periodsOf(s: RollupSpan, d: DerivedRollup): { start: DateTime; end: DateTime } {
  return { start: s.start.startOf(d.period), end: s.end.minus({ milliseconds: 1 }).startOf(d.period).plus({ [`${d.period}s`]: 1 }) };
}

/**
 * A sync's two phases: the rollup's own buckets (days or hours), summed from the raw points; then the
 * derived rows (months of days, hours by weekday), summed from the rollup's rows as stored once ours are.
 */
type Phase = 'buckets' | 'derived';

/**
 * The statements that read one span in a phase. Buckets: raw sums and the stored rows (whole periods if
 * the rollup has derived rows, with those, so that the read that ends the first phase starts the second).
 * Derived (only rollups that have them): the stored rows and derived rows. Either way a derived rollup's
 * last two answers are its stored rows and derived rows (`derivedChangesOf`).
 */
function spanStatements(s: RollupSpan, phase: Phase): string[] {
  const r = s.rollup;
  const d = derivedOf(r);
  if (!d) return [rawSumsQuery(s), storedRowsQuery(r, r.name, s.site, s.start, s.end)];
  const periods = periodsOf(s, d);
  const stored = [storedRowsQuery(r, r.name, s.site, periods.start, periods.end), storedRowsQuery(r, d.name, s.site, periods.start, periods.end, d.tags)];
  return phase === 'buckets' ? [rawSumsQuery(s), ...stored] : stored;
}

/** A rollup row that differs from the sums: the point to write, and the row InfluxDB holds now (if any). */
interface Change {
  /** Measurement and row identity: the same row across rounds. */
  key: string;
  point: IPoint;
  stored: Row | undefined;
}

function changeOf(measurement: string, key: string, row: Row, now: Row | undefined, fields: readonly string[]): Change[] {
  return sameFields(row, now, fields) ? [] : [{ key: `${measurement}\u0000${key}`, point: rollupPoint(measurement, row), stored: now }];
}

/** The rows of a span's own buckets that differ from the raw sums, among the buckets it may write. */
function bucketChanges(s: RollupSpan, raw: InfluxSeries[], storedRows: InfluxSeries[]): { changes: Change[]; short?: ShortRollup } {
  const r: RollupDefinition = s.rollup;
  const fields = Object.keys(rollupFieldTypes(r));
  const wanted = rowsOf(raw, fields);
  const bad = wanted.find((row) => fields.some((f) => !(f in row.fields)));
  if (bad) return { changes: [], short: { rollup: r.name, source: r.source, site: s.site, detail: `a sum of ${DateTime.fromMillis(bad.time, { zone: s.timeZone }).toISODate()} is not a finite number` } };
  const stored = new Map(rowsOf(storedRows, fields).map((row) => [rowKey(row.time, row.tags), row]));
  return {
    changes: wanted
      .filter((row) => !s.buckets || s.buckets.has(row.time))
      .flatMap((row) => {
        const key = rowKey(row.time, row.tags);
        return changeOf(r.name, key, row, stored.get(key), fields);
      }),
  };
}

/** The derived changes of a span from its answers in either phase: its last two, the stored rows and derived rows. */
const derivedChangesOf = (s: RollupSpan, answer: InfluxSeries[][]) => derivedChanges(s, answer.at(-2)!, answer.at(-1)!);

/** The derived rows that differ from the sums of the rollup's rows stored, among the periods the span may write. */
function derivedChanges(s: RollupSpan, storedRows: InfluxSeries[], storedDerived: InfluxSeries[]): Change[] {
  const r: RollupDefinition = s.rollup;
  const d = derivedOf(r)!;
  const fields = Object.keys(rollupFieldTypes(r));
  // One luxon call per month, not per row (it showed in ingest's profile); an hour is its own period.
  const clock = localClock(s.timeZone);
  const months = new Map<string, number>();
  const periodOf = (time: number) => {
    const local = clock(time);
    if (d.period === 'hour') return { start: time, tags: d.tagsOf(local) };
    const name = `${local.date.slice(0, 7)}-01`;
    let start = months.get(name);
    if (start === undefined) months.set(name, (start = DateTime.fromISO(name, { zone: s.timeZone }).toMillis()));
    return { start, tags: d.tagsOf(local) };
  };
  const writable = s.buckets && new Set([...s.buckets].map((b) => periodOf(b).start));
  const stored = new Map(rowsOf(storedDerived, fields).map((row) => [rowKey(row.time, row.tags), row]));
  // Each period: the sum of its rows, stamped with its start, per series, in one order of additions (the same sums every time).
  const derived = new Map<string, Row>();
  for (const row of rowsOf(storedRows, fields).sort((a, b) => a.time - b.time)) {
    const period = periodOf(row.time);
    if (writable && !writable.has(period.start)) continue;
    const tags = { ...row.tags, ...period.tags };
    const key = rowKey(period.start, tags);
    const sums = derived.get(key) ?? { time: period.start, tags, fields: Object.fromEntries(fields.map((f) => [f, 0])) };
    for (const f of fields) sums.fields[f] = sums.fields[f]! + (row.fields[f] ?? 0);
    derived.set(key, sums);
  }
  return [...derived].flatMap(([key, sums]) => changeOf(d.name, key, sums, stored.get(key), fields));
}

/** Rounds of read-compare-write before giving up (the batch is then retried with backoff). */
const MAX_ROUNDS = 8;
/** Rollup points per write request. */
const WRITE_CHUNK = 5_000;

/** A span whose statements InfluxDB could not answer in JSON. */
const UNENCODABLE = Symbol('unencodable');

/**
 * The answers of each span's statements, read in one request. InfluxDB 1.x answers a sum that overflowed
 * to ±Inf with a body that is not JSON (its encoder refuses the value), failing every statement of the
 * request; so on that failure the spans are read again in halves, down to the span at fault, and only
 * it is left without its rollup.
 */
async function readSpans(store: InfluxStore, statements: readonly string[][]): Promise<(InfluxSeries[][] | typeof UNENCODABLE)[]> {
  try {
    const answers = await selectSeries(store, statements.flat(), { epoch: 'ms' });
    let at = 0;
    return statements.map((st) => answers.slice(at, (at += st.length)));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    if (statements.length === 1) return [UNENCODABLE];
    const half = Math.ceil(statements.length / 2);
    return [...(await readSpans(store, statements.slice(0, half))), ...(await readSpans(store, statements.slice(half)))];
  }
}

export interface SyncHooks {
  beforeWrite?: (round: number) => Promise<void>;
  afterWrite?: (round: number) => Promise<void>;
}

/** Whether InfluxDB still holds the fields we wrote for a row: if not, another writer wrote it after us. */
const holdsOurs = (stored: Row | undefined, ours: Record<string, number>) => stored !== undefined && Object.entries(ours).every(([f, v]) => stored.fields[f] === v);

const unencodable = (span: RollupSpan): ShortRollup => ({
  rollup: span.rollup.name,
  source: span.rollup.source,
  site: span.site,
  detail: 'InfluxDB could not encode its sums in JSON (a sum beyond ±1.8e308 is infinite)',
});

/**
 * Brings the rollups of `spans` up to date: InfluxDB sums the raw points of each span, we compare with the
 * rollup rows stored and write those that differ, through the same writer as the raw points (no
 * `SELECT … INTO`, which 2.x and 3.x lack). Then we read again: a row that still holds what we wrote, and
 * differs from the sums, is written anew, until a round has nothing left to write.
 *
 * That rule keeps several ingest instances from leaving a stale rollup. Take A and B, each having written
 * raw points of the same day: A reads the sums, B writes, B reads and writes its rollup, A's older rollup
 * lands last. A reads again, finds its own value stored and the sums different, and writes them. In
 * general, every writer reads a row again after its write was acknowledged. If the row no longer holds
 * its value, someone wrote it later, and that writer does the same check after its own write, so the
 * check passes to the last writer. If it holds its value and equals the sums, the last write of the row
 * was followed by a read that found it current: any raw point written after that read belongs to a batch
 * whose own read comes later still, and that batch writes the row again if it must. Leaving the later
 * writers' rows to them is what lets three instances on the same days converge instead of chasing each
 * other's writes. tests/integration/rollup-sync.test.ts plays those interleavings on a real InfluxDB,
 * and shared-ingest.test.ts runs three instances on a year.
 *
 * Two more rules make the argument hold (each was a stale figure in a test before it):
 * - A batch writes only the buckets that hold its points (`span.buckets`), and their derived rows. A writer
 *   killed between its write and its check sent no receipt, so its events come back, each through some
 *   instance that recomputes the bucket holding it: if the dead writer had written a bucket it held no
 *   event of, nobody would read that bucket again. Its events' return is not enough on its own: they may
 *   be recomputed before its last write lands, or have been receipted already by another instance (the
 *   agent resent them while it was slow). So every instance also looks at the buckets it settled once
 *   more, after any write sent by then has landed (ingest/second-look.ts): a stale row a dead writer left
 *   is one whose raw points another instance wrote after the dead one's read, and that instance's second
 *   look corrects it.
 * - Derived rows come after the rollup's own (said here of months, the same for hours by weekday). A month
 *   is a sum of daily rows, so it is brought up to date in a second
 *   phase, from the days as stored once our own day writes were acknowledged, by the same rule one level
 *   up (daily rows are its raw points): its first round writes every month that differs, later rounds
 *   only the months still holding what we wrote. Summed from the days we were about to write, in the same
 *   round, a month could be left stale by a writer whose day was corrected in a later round, after the
 *   writer of the month had checked it against the stale day.
 *
 * Throws a ShortRollupError, after writing every other span, for spans with a sum out of range.
 * `hooks` let a test hold a round between its reads and its writes, or after its writes.
 */
export async function syncRollups(store: InfluxStore, spans: readonly RollupSpan[], hooks: SyncHooks = {}): Promise<{ rounds: number; written: number }> {
  let written = 0;
  let phase: Phase = 'buckets';
  let short = new Map<RollupSpan, ShortRollup>();
  /** The fields we last wrote, per row: the rows we are the last writer of, as far as we know. */
  let ours: Map<string, Record<string, number>> | undefined;
  const withDerived = () => spans.filter((s) => derivedOf(s.rollup) && !short.has(s));
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const read = phase === 'buckets' ? spans : withDerived();
    const answers = await readSpans(store, read.map((s) => spanStatements(s, phase)));
    const changes: Change[] = [];
    if (phase === 'buckets') short = new Map();
    for (const [i, span] of read.entries()) {
      const answer = answers[i]!;
      if (answer === UNENCODABLE) short.set(span, unencodable(span));
      else if (phase === 'derived') changes.push(...derivedChangesOf(span, answer));
      else {
        const diff = bucketChanges(span, answer[0]!, answer[1]!);
        changes.push(...diff.changes);
        if (diff.short) short.set(span, diff.short);
      }
    }
    // After our first write of a phase, only the rows still holding what we wrote are ours to correct.
    let mine = ours ? changes.filter((c) => ours!.has(c.key) && holdsOurs(c.stored, ours!.get(c.key)!)) : changes;
    if (mine.length === 0 && phase === 'buckets') {
      // Our buckets are current (or later writers'): the derived rows, from this same read, which followed our last bucket write.
      phase = 'derived';
      ours = undefined;
      mine = withDerived().flatMap((span) => derivedChangesOf(span, answers[read.indexOf(span)] as InfluxSeries[][]));
    }
    if (mine.length === 0) {
      if (short.size) throw new ShortRollupError([...short.values()]);
      return { rounds: round, written };
    }
    await hooks.beforeWrite?.(round);
    const points = mine.map((c) => c.point);
    for (let i = 0; i < points.length; i += WRITE_CHUNK) await store.write(points.slice(i, i + WRITE_CHUNK), 'rollups');
    written += points.length;
    ours = new Map(mine.map((c) => [c.key, c.point.fields as Record<string, number>]));
    await hooks.afterWrite?.(round);
  }
  throw new Error(`rollups still changing after ${MAX_ROUNDS} rounds of reads and writes (other ingest instances writing the same days); the batch will be retried`);
}

import { escape, type IPoint } from 'influx';
import { DateTime } from 'luxon';
import { isoWeekday, type LocalTime } from '../runtime/local-clock.js';
import { MEASUREMENT } from './points.js';

/**
 * Rollups: per-site sums of the raw points, so that a year of dashboards reads a few thousand rows instead
 * of hundreds of thousands of weighings. InfluxDB computes the sums; ingest writes them back as rollup
 * points (storage/rollup-sync.ts), not `SELECT … INTO`, which InfluxDB 2.x and 3.x lack.
 *
 * Why not continuous queries: a CQ only looks at the last interval(s), and our data arrives late by
 * design (an agent's outbox may hold days of events after a network cut). Instead ingest recomputes the
 * days its batches touched, after their raw writes and before their receipts (ingest/batch-writer.ts): if
 * it dies in between, no receipt went out, the agent resends, and the day is recomputed again. A rollup point has the same identity on
 * every recompute (measurement + tags + bucket start), so a recompute overwrites it; history being
 * append-only (voids are new points), the set of series of a bucket only ever grows.
 *
 * Daily rollups are bucketed on the site's local midnights (`tz()`), so that a day, a week, a month or
 * a year is a plain sum of daily rows. Each one keeps only the tags its charts split by: a narrow rollup
 * is what makes a year view fast (measured by `npm run bench -- dashboards`).
 */
export interface RollupDefinition {
  /** Measurement written, in the `rollups` retention policy. */
  name: string;
  /** Raw measurement read. */
  source: string;
  /** Extra InfluxQL condition on the raw points, beside the site and the time range. */
  where?: string;
  /** `SELECT` expressions (aggregate AS field). */
  fields: string[];
  /** Tags kept, besides `site`. */
  tags: string[];
  bucket: '1d' | '1h';
  /**
   * Also kept per local month (`{name}_monthly`, summed from the daily rollup): a network's two years
   * read 24 rows per series instead of 730 (`npm run bench -- dashboards-reports`).
   */
  monthly?: boolean;
  /**
   * Hourly rollups only: also kept with each row's local weekday and hour as tags (`{name}_weekday`, summed
   * from the hourly rows), for the hour × weekday heatmap. Over a network's two years InfluxDB summed the
   * hourly rows grouped by hour in 316 ms (its cost is per bucket: 17,520 per site), and these grouped by
   * their tags, with no time bucket, in 84 ms (measured on 21 sites).
   */
  byWeekdayHour?: boolean;
}

/**
 * A rollup kept a second time, summed from its own stored rows by ingest (storage/rollup-sync.ts, its
 * second phase): per local month of daily rows, or per hourly row with its local weekday and hour as tags.
 */
export interface DerivedRollup {
  name: string;
  /** The local period a derived row sums: a month, or the hour of the row itself. */
  period: 'month' | 'hour';
  /** Tags it adds to the rollup's, and their values for a row at a local time. */
  tags: readonly string[];
  tagsOf: (local: LocalTime) => Record<string, string>;
}

export const ROLLUP_RETENTION_POLICY = 'rollups';

export const ROLLUPS = {
  /** Kilograms and lines by category, and for outgoing goods by destination: collecte, valorisation, bilan. */
  weighingsByCategory: {
    name: 'weighings_daily_category',
    monthly: true,
    source: MEASUREMENT.weighing,
    fields: ['sum("net_kg") AS "net_kg"', 'count("net_kg") AS "n"'],
    tags: ['direction', 'category', 'destination', 'entry'],
    bucket: '1d',
  },
  /** Incoming kilograms by how they came and where from: the collecte page's splits. */
  weighingsByOrigin: {
    name: 'weighings_daily_origin',
    monthly: true,
    source: MEASUREMENT.weighing,
    where: `"direction" = 'in'`,
    fields: ['sum("net_kg") AS "net_kg"', 'count("net_kg") AS "n"'],
    tags: ['collect_type', 'district', 'entry'],
    bucket: '1d',
  },
  /** Outgoing kilograms by destination and recycling partner (filière). */
  weighingsByPartner: {
    name: 'weighings_daily_partner',
    monthly: true,
    source: MEASUREMENT.weighing,
    where: `"direction" = 'out'`,
    fields: ['sum("net_kg") AS "net_kg"', 'count("net_kg") AS "n"'],
    tags: ['destination', 'partner', 'entry'],
    bucket: '1d',
  },
  /** Bons (drop-off slips and outgoing slips) by state and origin or destination. */
  bons: {
    name: 'bons_daily',
    monthly: true,
    source: MEASUREMENT.bon,
    fields: ['count("bon_id") AS "n"', 'sum("net_kg") AS "net_kg"', 'sum("lines") AS "lines"'],
    tags: ['direction', 'state', 'collect_type', 'destination', 'district'],
    bucket: '1d',
  },
  /**
   * Door passages by hour: the hour × weekday heatmap needs hours, and days are sums of local hours
   * (which is why a site's time zone must have whole-hour offsets, see runtime/connections.ts).
   */
  visits: {
    name: 'visits_hourly',
    source: MEASUREMENT.visits,
    fields: ['sum("in") AS "in"', 'sum("out") AS "out"'],
    tags: [],
    bucket: '1h',
    byWeekdayHour: true,
  },
} as const satisfies Record<string, RollupDefinition>;

export const ALL_ROLLUPS: readonly RollupDefinition[] = Object.values(ROLLUPS);

/** The name a `SELECT` expression gives its field: `"kg"` of `sum("net_kg") AS "kg"`, unquoted. */
const alias = (field: string) => field.slice(field.lastIndexOf(' AS ') + 4).replaceAll('"', '');

/**
 * Each field's type. A count is an integer, a sum a float, as `SELECT … INTO` made them when InfluxDB
 * computed the rollups: an install's existing rollups then take ours without a field type conflict.
 */
export function rollupFieldTypes(r: RollupDefinition): Record<string, 'integer' | 'float'> {
  return Object.fromEntries(r.fields.map((f) => [alias(f), f.startsWith('count(') ? 'integer' : 'float']));
}

/** Every rollup measurement with its tags and its fields' types: the rollups' own, and the derived ones. */
export const ROLLUP_MEASUREMENTS: readonly { rollup: RollupDefinition; measurement: string; tags: readonly string[]; fieldTypes: Record<string, 'integer' | 'float'> }[] = ALL_ROLLUPS.flatMap((rollup) => {
  const derived = derivedOf(rollup);
  const fieldTypes = rollupFieldTypes(rollup);
  return [{ rollup, measurement: rollup.name, tags: rollup.tags, fieldTypes }, ...(derived ? [{ rollup, measurement: derived.name, tags: [...rollup.tags, ...derived.tags], fieldTypes }] : [])];
});

const INTEGER_FIELDS = new Map<string, ReadonlySet<string>>(
  ROLLUP_MEASUREMENTS.map(({ measurement, fieldTypes }) => [measurement, new Set(Object.entries(fieldTypes).filter(([, t]) => t === 'integer').map(([f]) => f))]),
);
const NONE: ReadonlySet<string> = new Set();

/** The integer fields of a measurement (rollups' counts); every other number we write is a float. */
export function integerFieldsOf(measurement: string): ReadonlySet<string> {
  return INTEGER_FIELDS.get(measurement) ?? NONE;
}

export function monthlyName(r: RollupDefinition): string {
  return `${r.name}_monthly`;
}

/** The derived rollup of a rollup, if it has one (at most one: `monthly` or `byWeekdayHour`). */
export function derivedOf(r: RollupDefinition): DerivedRollup | undefined {
  if (r.monthly) return { name: monthlyName(r), period: 'month', tags: [], tagsOf: () => ({}) };
  if (!r.byWeekdayHour) return undefined;
  return {
    name: `${r.name}_weekday`,
    period: 'hour',
    tags: ['weekday', 'hour'],
    tagsOf: ({ date, hour }) => ({ weekday: String(isoWeekday(date)), hour: String(hour).padStart(2, '0') }),
  };
}

/** The weekday-and-hour rows of an hourly rollup as a rollup of their own, for the dashboards' reads (rollupSums). */
export function weekdayHourRollup(r: RollupDefinition): RollupDefinition {
  const derived = derivedOf(r);
  if (derived?.period !== 'hour') throw new Error(`${r.name} has no rows by weekday and hour`);
  return { name: derived.name, source: r.name, fields: r.fields, tags: [...r.tags, ...derived.tags], bucket: r.bucket };
}

/** Whole buckets (local days or hours) [start, end) of one rollup of one site, to bring up to date. */
export interface RollupSpan {
  rollup: RollupDefinition;
  site: string;
  timeZone: string;
  start: DateTime;
  end: DateTime;
  /**
   * The buckets (start, epoch ms) that hold the batch's points: the only rows a sync of the span writes,
   * with their months. Absent, it writes every row of [start, end) (`trebuchet rollup`). Why the others
   * are left alone: storage/rollup-sync.ts.
   */
  buckets?: ReadonlySet<number>;
}

/** The whole buckets (local days or hours) that contain [from, to]. */
function wholeBuckets(bucket: RollupDefinition['bucket'], from: DateTime, to: DateTime): { start: DateTime; end: DateTime } {
  const unit = bucket === '1d' ? 'day' : 'hour';
  return { start: from.startOf(unit), end: to.startOf(unit).plus({ [`${unit}s`]: 1 }) };
}

const HOUR_MS = 3_600_000;

/**
 * The spans that bring every rollup fed by `points` up to date: per rollup and site, the whole buckets
 * from the earliest to the latest point of the batch (a batch is usually one day; a drained backlog spans
 * a few), and which of them hold a point.
 */
export function rollupSpansFor(points: readonly IPoint[], timeZoneOf: (site: string) => string): RollupSpan[] {
  // Local hours start on UTC hours (a site's offsets are whole hours, runtime/connections.ts): a point's hour is arithmetic.
  const hours = new Map<string, { site: string; measurement: string; starts: Set<number> }>();
  for (const p of points) {
    const site = p.tags?.site;
    if (!site || !p.measurement || p.timestamp === undefined) continue;
    const ms = Number(BigInt(String(p.timestamp)) / 1_000_000n);
    const key = `${p.measurement}\u0000${site}`;
    const entry = hours.get(key) ?? { site, measurement: p.measurement, starts: new Set<number>() };
    entry.starts.add(ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS));
    hours.set(key, entry);
  }
  const out: RollupSpan[] = [];
  for (const { site, measurement, starts } of hours.values()) {
    const timeZone = timeZoneOf(site);
    // One luxon call per hour of the batch, not per point.
    const days = new Set([...starts].map((h) => DateTime.fromMillis(h, { zone: timeZone }).startOf('day').toMillis()));
    for (const rollup of ALL_ROLLUPS.filter((x) => x.source === measurement)) {
      const buckets = rollup.bucket === '1d' ? days : starts;
      const first = DateTime.fromMillis(Math.min(...buckets), { zone: timeZone });
      const last = DateTime.fromMillis(Math.max(...buckets), { zone: timeZone });
      out.push({ rollup, site, timeZone, ...wholeBuckets(rollup.bucket, first, last), buckets });
    }
  }
  return out;
}

/**
 * The same buckets of several spans (one rollup, one site) as spans of consecutive buckets: days a week
 * apart are read as two spans, not as the week between them (ingest's second look, ingest/second-look.ts).
 */
export function mergeSpans(spans: readonly RollupSpan[]): RollupSpan[] {
  const groups = new Map<string, { span: RollupSpan; buckets: Set<number> }>();
  for (const s of spans) {
    const key = `${s.rollup.name}\u0000${s.site}`;
    const group = groups.get(key) ?? { span: s, buckets: new Set<number>() };
    for (const b of s.buckets ?? []) group.buckets.add(b);
    groups.set(key, group);
  }
  const out: RollupSpan[] = [];
  for (const { span, buckets } of groups.values()) {
    const unit = span.rollup.bucket === '1d' ? 'day' : 'hour';
    let run: number[] = [];
    const close = () => {
      const first = DateTime.fromMillis(run[0]!, { zone: span.timeZone });
      const last = DateTime.fromMillis(run.at(-1)!, { zone: span.timeZone });
      out.push({ rollup: span.rollup, site: span.site, timeZone: span.timeZone, ...wholeBuckets(span.rollup.bucket, first, last), buckets: new Set(run) });
      run = [];
    };
    for (const b of [...buckets].sort((x, y) => x - y)) {
      // The next bucket of a run starts where the last one ends (a local day may be 23 or 25 hours long).
      if (run.length && DateTime.fromMillis(run.at(-1)!, { zone: span.timeZone }).plus({ [`${unit}s`]: 1 }).toMillis() !== b) close();
      run.push(b);
    }
    if (run.length) close();
  }
  return out;
}

/** Every rollup of one site over the local days [from, to] (inclusive): `trebuchet rollup`, the demo, the benches. */
export function rebuildSpans(site: string, timeZone: string, from: string, to: string): RollupSpan[] {
  const start = DateTime.fromISO(from, { zone: timeZone }).startOf('day');
  const end = DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 }).startOf('day');
  return ALL_ROLLUPS.map((rollup) => ({ rollup, site, timeZone, start, end }));
}

const timeRange = (start: DateTime, end: DateTime) => [
  `time >= ${escape.stringLit(start.toUTC().toISO() as string)}`,
  `time < ${escape.stringLit(end.toUTC().toISO() as string)}`,
];
const groupByTags = (r: RollupDefinition) => ['"site"', ...r.tags.map((t) => escape.quoted(t))];

/** The sums of a span's raw points per bucket and series: the rollup's rows as they must be. */
export function rawSumsQuery(s: RollupSpan): string {
  const where = [`"site" = ${escape.stringLit(s.site)}`, ...(s.rollup.where ? [s.rollup.where] : []), ...timeRange(s.start, s.end)];
  // fill(none): without it, count() answers a zero row for every empty bucket of every series.
  return (
    `SELECT ${s.rollup.fields.join(', ')} FROM ${escape.quoted(s.rollup.source)} WHERE ${where.join(' AND ')} ` +
    `GROUP BY ${[`time(${s.rollup.bucket})`, ...groupByTags(s.rollup)].join(', ')} fill(none) tz(${escape.stringLit(s.timeZone)})`
  );
}

/** The rows a rollup measurement holds for a site over [start, end): the rollup's own, or a derived rollup's (with its tags). */
export function storedRowsQuery(r: RollupDefinition, measurement: string, site: string, start: DateTime, end: DateTime, extraTags: readonly string[] = []): string {
  const fields = Object.keys(rollupFieldTypes(r)).map((f) => escape.quoted(f));
  const where = [`"site" = ${escape.stringLit(site)}`, ...timeRange(start, end)];
  const tags = [...groupByTags(r), ...extraTags.map((t) => escape.quoted(t))];
  return `SELECT ${fields.join(', ')} FROM ${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(measurement)} WHERE ${where.join(' AND ')} GROUP BY ${tags.join(', ')}`;
}

/**
 * The shard groups of the rollups' retention policy: ten years each instead of the week InfluxDB 1.x gives
 * a policy kept forever. Rollups are sparse (a site's day is a few dozen rows) and read over years, and
 * InfluxDB opens every shard a query's range covers: over 21 sites, two years of daily rows summed took
 * 1,359 ms in 106 weekly shards and 120 ms in 2 (a year by day, 356 ms and 169 ms).
 */
export const ROLLUP_SHARD_DURATION = '520w';

/**
 * The retention policy rollups live in, kept forever whatever the raw data's retention: created, or, when
 * an earlier version created it with weekly shards, altered so that new shard groups are long (the
 * rollups already written keep their shards). A `DURATION` an operator set is left as it is.
 */
export function rollupRetentionPolicyStatements(database: string): { create: string; alter: string } {
  const on = `${escape.quoted(ROLLUP_RETENTION_POLICY)} ON ${escape.quoted(database)}`;
  return {
    create: `CREATE RETENTION POLICY ${on} DURATION INF REPLICATION 1 SHARD DURATION ${ROLLUP_SHARD_DURATION}`,
    alter: `ALTER RETENTION POLICY ${on} SHARD DURATION ${ROLLUP_SHARD_DURATION}`,
  };
}

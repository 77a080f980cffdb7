import { escape, type IPoint } from 'influx';
import { DateTime } from 'luxon';
import { MEASUREMENT } from './points.js';

/**
 * Rollups: per-site sums that InfluxDB itself computes (`SELECT … INTO`) from the raw points, so that a
 * year of dashboards reads a few thousand rows instead of hundreds of thousands of weighings.
 *
 * Why not continuous queries: a CQ only looks at the last interval(s), and our data arrives late by
 * design (an agent's outbox may hold days of events after a network cut). Instead ingest recomputes the
 * days its batch touched, after the raw write and before the receipt: if it dies in between, no receipt
 * went out, the agent resends, and the day is recomputed again. A rollup point has the same identity on
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
  },
} as const satisfies Record<string, RollupDefinition>;

const ALL_ROLLUPS: readonly RollupDefinition[] = Object.values(ROLLUPS);

/** A half-open span of time [start, end) of one site that a rollup must recompute. */
export interface RollupSpan {
  site: string;
  start: DateTime;
  end: DateTime;
}

/**
 * A `SELECT … INTO` and how to tell it ran in full. InfluxDB answers it with the number of points written
 * and silently drops a point it cannot store: a sum that overflowed to +Inf, out of reach of valid input
 * (protocol/messages.ts MAX_KG) but not of a point written around ingest. `expected` counts, without
 * writing, the rows it must write (run first: a point written in between can only make more).
 */
export interface RollupStatement {
  into: string;
  expected: string;
  /** What it recomputes: the rollup written, the raw measurement it reads, the site. */
  rollup: string;
  source: string;
  site: string;
}

/** The argument of a `SELECT` expression's aggregate: `"net_kg"` of `sum("net_kg") AS "kg"`. */
const aggregated = (field: string) => field.slice(field.indexOf('(') + 1, field.indexOf(')'));

/** The `SELECT … INTO` that recomputes one rollup for one site over whole buckets. */
export function rollupStatement(database: string, r: RollupDefinition, span: RollupSpan, timeZone: string): RollupStatement {
  const where = [
    `"site" = ${escape.stringLit(span.site)}`,
    ...(r.where ? [r.where] : []),
    `time >= ${escape.stringLit(span.start.toUTC().toISO() as string)}`,
    `time < ${escape.stringLit(span.end.toUTC().toISO() as string)}`,
  ];
  const groupBy = [`time(${r.bucket})`, '"site"', ...r.tags.map((t) => escape.quoted(t))];
  // fill(none): without it, count() writes a zero row for every empty bucket of every series.
  const rest = `FROM ${escape.quoted(r.source)} WHERE ${where.join(' AND ')} GROUP BY ${groupBy.join(', ')} fill(none) tz(${escape.stringLit(timeZone)})`;
  return {
    into: `SELECT ${r.fields.join(', ')} INTO ${escape.quoted(database)}.${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(r.name)} ${rest}`,
    // Every field of a row comes from the same raw points: counting the first one counts the rows.
    expected: `SELECT count(${aggregated(r.fields[0]!)}) ${rest}`,
    rollup: r.name,
    source: r.source,
    site: span.site,
  };
}

export function monthlyName(r: RollupDefinition): string {
  return `${r.name}_monthly`;
}

/**
 * The statements that re-add a monthly rollup from its daily one, one per local month of [start, end):
 * without GROUP BY time, InfluxDB stamps each sum with its range's start, the month's local midnight.
 * They must run after the daily statements of the same request (InfluxDB runs them in order).
 */
export function monthlyStatements(database: string, r: RollupDefinition, span: RollupSpan): RollupStatement[] {
  const rp = `${escape.quoted(database)}.${escape.quoted(ROLLUP_RETENTION_POLICY)}`;
  const aliases = r.fields.map((f) => f.slice(f.lastIndexOf(' AS ') + 4));
  const fields = aliases.map((as) => `sum(${as}) AS ${as}`);
  const out: RollupStatement[] = [];
  for (let month = span.start.startOf('month'); month < span.end; month = month.plus({ months: 1 })) {
    const where = [
      `"site" = ${escape.stringLit(span.site)}`,
      `time >= ${escape.stringLit(month.toUTC().toISO() as string)}`,
      `time < ${escape.stringLit(month.plus({ months: 1 }).toUTC().toISO() as string)}`,
    ];
    const rest = `FROM ${rp}.${escape.quoted(r.name)} WHERE ${where.join(' AND ')} GROUP BY ${['"site"', ...r.tags.map((t) => escape.quoted(t))].join(', ')}`;
    out.push({
      into: `SELECT ${fields.join(', ')} INTO ${rp}.${escape.quoted(monthlyName(r))} ${rest}`,
      expected: `SELECT count(${aliases[0]!}) ${rest}`,
      rollup: monthlyName(r),
      source: r.source,
      site: span.site,
    });
  }
  return out;
}

/** The daily (or hourly) statement of a rollup over a span, then its monthly ones. */
function spanStatements(database: string, r: RollupDefinition, span: RollupSpan, timeZone: string): RollupStatement[] {
  return [rollupStatement(database, r, span, timeZone), ...(r.monthly ? monthlyStatements(database, r, span) : [])];
}

/** The whole buckets (local days or hours) that contain [from, to]. */
function wholeBuckets(bucket: RollupDefinition['bucket'], from: DateTime, to: DateTime): { start: DateTime; end: DateTime } {
  const unit = bucket === '1d' ? 'day' : 'hour';
  return { start: from.startOf(unit), end: to.startOf(unit).plus({ [`${unit}s`]: 1 }) };
}

/**
 * The rollup statements that bring every rollup fed by `points` up to date: per rollup and site, one
 * statement over the whole buckets from the earliest to the latest point of the batch (a batch is
 * usually one day; a drained backlog spans a few).
 */
export function rollupStatementsFor(points: readonly IPoint[], database: string, timeZoneOf: (site: string) => string): RollupStatement[] {
  const spans = new Map<string, { site: string; min: number; max: number }>();
  for (const p of points) {
    const site = p.tags?.site;
    if (!site || !p.measurement || p.timestamp === undefined) continue;
    const ms = Number(BigInt(String(p.timestamp)) / 1_000_000n);
    const key = `${p.measurement}\u0000${site}`;
    const span = spans.get(key);
    if (!span) spans.set(key, { site, min: ms, max: ms });
    else {
      span.min = Math.min(span.min, ms);
      span.max = Math.max(span.max, ms);
    }
  }
  const statements: RollupStatement[] = [];
  for (const [key, { site, min, max }] of spans) {
    const measurement = key.slice(0, key.indexOf('\u0000'));
    const timeZone = timeZoneOf(site);
    for (const r of ALL_ROLLUPS.filter((x) => x.source === measurement)) {
      const buckets = wholeBuckets(r.bucket, DateTime.fromMillis(min, { zone: timeZone }), DateTime.fromMillis(max, { zone: timeZone }));
      statements.push(...spanStatements(database, r, { site, ...buckets }, timeZone));
    }
  }
  return statements;
}

/** Every rollup of one site over the local days [from, to] (inclusive): `trebuchet rollup` and the benches. */
export function rebuildStatements(database: string, site: string, timeZone: string, from: string, to: string): RollupStatement[] {
  const start = DateTime.fromISO(from, { zone: timeZone }).startOf('day');
  const end = DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 }).startOf('day');
  return ALL_ROLLUPS.flatMap((r) => spanStatements(database, r, { site, start, end }, timeZone));
}

/** The retention policy rollups live in: kept forever, whatever the raw data's retention. */
export function createRollupRetentionPolicy(database: string): string {
  return `CREATE RETENTION POLICY ${escape.quoted(ROLLUP_RETENTION_POLICY)} ON ${escape.quoted(database)} DURATION INF REPLICATION 1`;
}

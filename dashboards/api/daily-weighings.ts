import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { escape, type InfluxDB } from 'influx';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { describeIssues, kgToGrams, slug } from '../../protocol/index.js';
import { categoryResolver, DEFAULT_TAXONOMY, type Taxonomy } from '../../protocol/taxonomy.js';
import type { SiteConfig } from '../../runtime/connections.js';
import { MEASUREMENT } from '../../ingest/points.js';

/** A year, leap day included: enough for a funder's yearly report, small enough to bound the query. */
import type { DailyWeighings, DayTotals } from './types.js';

export const MAX_RANGE_DAYS = 366;

export interface WeighingsApiDeps {
  influx: InfluxDB;
  site: SiteConfig;
  taxonomy: Taxonomy;
}

const isoDate = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required, as YYYY-MM-DD' : 'must be one date YYYY-MM-DD') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD', abort: true })
  .refine((s) => DateTime.fromISO(s, { zone: 'utc' }).isValid, 'is not a calendar date');

export const dailyQuerySchema = z
  .object({ from: isoDate, to: isoDate, site: slug.optional() })
  .strict()
  .superRefine((q, ctx) => {
    const span = DateTime.fromISO(q.to, { zone: 'utc' }).diff(DateTime.fromISO(q.from, { zone: 'utc' }), 'days').days + 1;
    if (span < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
    else if (span > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range covers ${span} days; at most ${MAX_RANGE_DAYS} are allowed` });
  });

/**
 * Validates a query string; on failure answers 400 with a message that names the fields, and returns undefined.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown, reply: FastifyReply): z.infer<S> | undefined {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const fields: string[] = [];
  const messages: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      fields.push(...issue.keys);
      messages.push(`${issue.keys.join(', ')}: unknown query parameter; allowed: ${allowed.join(', ')}`);
    } else {
      const field = issue.path.join('.');
      fields.push(field);
      messages.push(`${field}: ${issue.message}`);
    }
  }
  void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: messages.join('; '), fields: [...new Set(fields)] });
  return undefined;
}

/** This server reads one site's data with that site's time zone: another site id is refused rather than guessed. */
export function checkSite(requested: string | undefined, site: SiteConfig, reply: FastifyReply): boolean {
  if (requested === undefined || requested === site.id) return true;
  void reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `site "${requested}" is not served here; this server serves "${site.id}"` });
  return false;
}

export function influxUnavailable(reply: FastifyReply, log: FastifyBaseLogger, err: unknown): FastifyReply {
  const detail = err instanceof Error ? err.message : String(err);
  log.warn({ err: detail }, 'InfluxDB query failed');
  return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: `InfluxDB query failed: ${detail}` });
}

const seriesSchema = z.object({
  name: z.string(),
  tags: z.record(z.string(), z.string()).optional(),
  columns: z.array(z.string()),
  values: z.array(z.array(z.unknown())),
});
export type InfluxSeries = z.infer<typeof seriesSchema>;
const responseSchema = z.object({
  results: z.array(z.object({ series: z.array(seriesSchema).optional(), error: z.string().optional() })).min(1),
});

/**
 * Runs one InfluxQL SELECT and returns its series. A database not created yet (no weighing stored so far)
 * is an empty result, not an error: a fresh install shows zeros.
 */
export async function selectSeries(influx: InfluxDB, query: string): Promise<InfluxSeries[]> {
  const parsed = responseSchema.safeParse(await influx.queryRaw(query));
  if (!parsed.success) throw new Error(`unexpected InfluxDB response: ${describeIssues(parsed.error)}`);
  const [result] = parsed.data.results;
  if (result?.error) {
    if (result.error.startsWith('database not found')) return [];
    throw new Error(result.error);
  }
  return result?.series ?? [];
}

/** The UTC instants of the local midnights that start `from` and end `to`, in the given zone. */
export function localDayBounds(from: string, to: string, timeZone: string): { start: DateTime; end: DateTime } {
  const start = DateTime.fromISO(from, { zone: timeZone }).startOf('day');
  const end = DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 }).startOf('day');
  return { start, end };
}

export function localToday(timeZone: string, now: Date = new Date()): string {
  return DateTime.fromJSDate(now, { zone: timeZone }).toISODate() as string;
}

/** Taxonomy order first, then categories the taxonomy does not know, by id. */
function byTaxonomy(taxonomy: Taxonomy): (a: string, b: string) => number {
  const order = new Map(taxonomy.categories.map((c, i) => [c.id, i]));
  return (a, b) => {
    const ia = order.get(a) ?? Infinity;
    const ib = order.get(b) ?? Infinity;
    return ia === ib ? a.localeCompare(b) : ia - ib;
  };
}

/**
 * Kilograms collected (direction `in`) per local day and category. Void entries carry negative kg, so plain
 * sums net them out. InfluxQL `tz()` makes the 1-day buckets start at local midnight, 23 or 25 hours long on
 * DST days (checked against InfluxDB 1.6.7 by tests/integration/daily-weighings.test.ts). A category's
 * former ids (taxonomy `formerIds`) are counted under it, so renaming an id does not split its history.
 */
export async function queryDailyWeighings(
  influx: InfluxDB,
  q: { site: string; timeZone: string; from: string; to: string },
  taxonomy: Taxonomy = DEFAULT_TAXONOMY,
): Promise<DailyWeighings> {
  const current = categoryResolver(taxonomy);
  const { start, end } = localDayBounds(q.from, q.to, q.timeZone);
  const query =
    `SELECT sum("net_kg") FROM "${MEASUREMENT.weighing}" ` +
    `WHERE "site" = ${escape.stringLit(q.site)} AND "direction" = 'in' ` +
    `AND time >= ${escape.stringLit(start.toUTC().toISO() as string)} AND time < ${escape.stringLit(end.toUTC().toISO() as string)} ` +
    `GROUP BY time(1d), "category" fill(none) tz(${escape.stringLit(q.timeZone)})`;

  // Grams are integers: sums of them are exact, and rounding happens once per category and day.
  const grams = new Map<string, Map<string, number>>();
  for (const series of await selectSeries(influx, query)) {
    const category = current(series.tags?.category ?? '');
    const timeCol = series.columns.indexOf('time');
    const sumCol = series.columns.indexOf('sum');
    for (const row of series.values) {
      const time = row[timeCol];
      const sum = row[sumCol];
      if (typeof time !== 'string' || typeof sum !== 'number') continue;
      const date = DateTime.fromISO(time).setZone(q.timeZone).toISODate();
      if (!date) continue;
      const day = grams.get(date) ?? new Map<string, number>();
      day.set(category, (day.get(category) ?? 0) + kgToGrams(sum));
      grams.set(date, day);
    }
  }

  const categories = [
    ...new Set([...grams.values()].flatMap((day) => [...day].filter(([, g]) => g !== 0).map(([c]) => c))),
  ].sort(byTaxonomy(taxonomy));
  const days: DayTotals[] = [];
  for (let d = DateTime.fromISO(q.from, { zone: 'utc' }); d.toISODate()! <= q.to; d = d.plus({ days: 1 })) {
    const date = d.toISODate() as string;
    const day = grams.get(date);
    const byCategory: Record<string, number> = {};
    let total = 0;
    for (const c of categories) {
      const g = day?.get(c) ?? 0;
      byCategory[c] = g / 1000;
      total += g;
    }
    days.push({ date, totalKg: total / 1000, byCategory });
  }
  return { site: q.site, timeZone: q.timeZone, from: q.from, to: q.to, categories, days };
}

export function registerDailyWeighings(app: FastifyInstance, deps: WeighingsApiDeps): void {
  app.get('/api/v1/weighings/daily', async (req, reply) => {
    const q = parseQuery(dailyQuerySchema, req.query, reply);
    if (!q || !checkSite(q.site, deps.site, reply)) return reply;
    try {
      return await queryDailyWeighings(deps.influx, { site: deps.site.id, timeZone: deps.site.timeZone, from: q.from, to: q.to }, deps.taxonomy);
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });
}

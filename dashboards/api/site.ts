import type { FastifyInstance } from 'fastify';
import { escape } from 'influx';
import { z } from 'zod';
import { MEASUREMENT } from '../../ingest/points.js';
import { slug } from '../../protocol/index.js';
import { categoryResolver } from '../../protocol/taxonomy.js';
import {
  checkSite,
  influxUnavailable,
  localDayBounds,
  localToday,
  parseQuery,
  queryDailyWeighings,
  selectSeries,
  type WeighingsApiDeps,
} from './daily-weighings.js';

import type { LatestWeighing, SiteInfo, TodayWeighings } from './types.js';

const siteQuerySchema = z.object({ site: slug.optional() }).strict();
const latestQuerySchema = z
  .object({ site: slug.optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .strict();

export async function queryTodayWeighings(deps: WeighingsApiDeps, now = new Date()): Promise<TodayWeighings> {
  const date = localToday(deps.site.timeZone, now);
  const daily = await queryDailyWeighings(deps.influx, { site: deps.site.id, timeZone: deps.site.timeZone, from: date, to: date }, deps.taxonomy);
  const [day] = daily.days;
  return {
    site: daily.site,
    timeZone: daily.timeZone,
    date,
    totalKg: day?.totalKg ?? 0,
    categories: daily.categories,
    byCategory: day?.byCategory ?? {},
  };
}

/** Today's latest incoming weighings, newest first; void entries included so that corrections show. */
export async function queryLatestWeighings(deps: WeighingsApiDeps, limit: number, now = new Date()): Promise<LatestWeighing[]> {
  const date = localToday(deps.site.timeZone, now);
  const { start, end } = localDayBounds(date, date, deps.site.timeZone);
  const query =
    `SELECT "net_kg", "event_id", "device", "category", "entry", "source" FROM "${MEASUREMENT.weighing}" ` +
    `WHERE "site" = ${escape.stringLit(deps.site.id)} AND "direction" = 'in' ` +
    `AND time >= ${escape.stringLit(start.toUTC().toISO() as string)} AND time < ${escape.stringLit(end.toUTC().toISO() as string)} ` +
    `ORDER BY time DESC LIMIT ${limit}`;
  const current = categoryResolver(deps.taxonomy);
  const out: LatestWeighing[] = [];
  for (const series of await selectSeries(deps.influx, query)) {
    const at = (row: unknown[], name: string) => row[series.columns.indexOf(name)];
    for (const row of series.values) {
      const capturedAt = at(row, 'time');
      const netKg = at(row, 'net_kg');
      if (typeof capturedAt !== 'string' || typeof netKg !== 'number') continue;
      out.push({
        id: String(at(row, 'event_id') ?? ''),
        // Stored timestamps carry a sequence number in the sub-millisecond digits; the list needs milliseconds.
        capturedAt: new Date(capturedAt).toISOString(),
        device: String(at(row, 'device') ?? ''),
        category: current(String(at(row, 'category') ?? '')),
        netKg,
        entry: at(row, 'entry') === 'void' ? 'void' : 'normal',
        source: String(at(row, 'source') ?? ''),
      });
    }
  }
  return out;
}

export function registerSite(app: FastifyInstance, deps: WeighingsApiDeps): void {
  app.get('/api/v1/site', async (): Promise<SiteInfo> => ({
    id: deps.site.id,
    name: deps.site.name,
    timeZone: deps.site.timeZone,
    categories: deps.taxonomy.categories,
    taxonomy: deps.taxonomy,
  }));

  app.get('/api/v1/weighings/today', async (req, reply) => {
    const q = parseQuery(siteQuerySchema, req.query, reply);
    if (!q || !checkSite(q.site, deps.site, reply)) return reply;
    try {
      return await queryTodayWeighings(deps);
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });

  app.get('/api/v1/weighings/latest', async (req, reply) => {
    const q = parseQuery(latestQuerySchema, req.query, reply);
    if (!q || !checkSite(q.site, deps.site, reply)) return reply;
    try {
      return { site: deps.site.id, weighings: await queryLatestWeighings(deps, q.limit) };
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });
}

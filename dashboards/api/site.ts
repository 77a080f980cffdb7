import type { FastifyInstance } from 'fastify';
import { escape } from 'influx';
import { z } from 'zod';
import { MEASUREMENT } from '../../storage/points.js';
import { categoryResolver } from '../../protocol/taxonomy.js';
import { byTimeZone, localDayBounds, localToday, siteCondition, type Scope } from '../queries/scope.js';
import { selectSeries } from '../../storage/select-series.js';
import { scopeParam } from '../reports/report.js';
import { influxUnavailable, parseQuery, resolveScope } from './query-errors.js';
import type { ReportsApiDeps } from './reports-routes.js';
import type { LatestWeighing, SiteInfo } from './types.js';

const latestQuerySchema = z.object({ site: scopeParam, limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

/**
 * Today's latest incoming weighings of a scope, newest first; void entries included so that corrections show.
 * One statement per time zone, each bounded by its own local today: a network's day is each site's own.
 */
export async function queryLatestWeighings(deps: Pick<ReportsApiDeps, 'influx' | 'taxonomy'>, scope: Scope, limit: number, now = new Date()): Promise<LatestWeighing[]> {
  const statements = [...byTimeZone(scope)].map(([timeZone, sites]) => {
    const date = localToday(timeZone, now);
    const { start, end } = localDayBounds(date, date, timeZone);
    return (
      `SELECT "net_kg", "event_id", "site", "device", "category", "entry", "source" FROM "${MEASUREMENT.weighing}" ` +
      `WHERE ${siteCondition(sites)} AND "direction" = 'in' ` +
      `AND time >= ${escape.stringLit(start.toUTC().toISO() as string)} AND time < ${escape.stringLit(end.toUTC().toISO() as string)} ` +
      `ORDER BY time DESC LIMIT ${limit}`
    );
  });
  const current = categoryResolver(deps.taxonomy);
  const out: LatestWeighing[] = [];
  for (const s of (await selectSeries(deps.influx, statements)).flat()) {
    const at = (row: unknown[], name: string) => row[s.columns.indexOf(name)];
    for (const row of s.values) {
      const capturedAt = at(row, 'time');
      const netKg = at(row, 'net_kg');
      if (typeof capturedAt !== 'string' || typeof netKg !== 'number') continue;
      out.push({
        id: String(at(row, 'event_id') ?? ''),
        // Stored timestamps carry a sequence number in the sub-millisecond digits; the list needs milliseconds.
        capturedAt: new Date(capturedAt).toISOString(),
        site: String(at(row, 'site') ?? ''),
        device: String(at(row, 'device') ?? ''),
        category: current(String(at(row, 'category') ?? '')),
        netKg,
        entry: at(row, 'entry') === 'void' ? 'void' : 'normal',
        source: String(at(row, 'source') ?? ''),
      });
    }
  }
  // Each zone's rows come newest first; the sort is stable, so rows of one millisecond keep InfluxDB's order.
  return out.sort((a, b) => Date.parse(b.capturedAt) - Date.parse(a.capturedAt)).slice(0, limit);
}

/** `site`, what the page needs to know of the sites it shows, and `weighings/latest`. */
export async function siteRoutes(app: FastifyInstance, deps: ReportsApiDeps & { networkName: string; demo: boolean }): Promise<void> {
  const [home] = deps.sites;
  app.get('/site', async (): Promise<SiteInfo> => ({
    id: home!.id,
    name: home!.name,
    timeZone: home!.timeZone,
    categories: deps.taxonomy.categories,
    taxonomy: deps.taxonomy,
    sites: deps.sites.map(({ id, name, timeZone }) => ({ id, name, timeZone })),
    networkName: deps.networkName,
    demo: deps.demo,
  }));

  app.get('/weighings/latest', async (req, reply) => {
    const q = parseQuery(latestQuerySchema, req.query, reply);
    const scope = q && resolveScope(q.site, deps.sites, reply);
    if (!q || !scope) return reply;
    try {
      return { site: scope.id, weighings: await queryLatestWeighings(deps, scope, q.limit) };
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });
}

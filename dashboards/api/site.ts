import type { FastifyInstance } from 'fastify';
import { escape } from 'influx';
import { z } from 'zod';
import { MEASUREMENT } from '../../ingest/points.js';
import { slug } from '../../protocol/index.js';
import { categoryResolver } from '../../protocol/taxonomy.js';
import type { SiteConfig } from '../../runtime/connections.js';
import { localDayBounds, localToday } from '../queries/scope.js';
import { selectSeries } from '../queries/select-series.js';
import { influxUnavailable, parseQuery } from './query-errors.js';
import { resolveScope, type ReportsApiDeps } from './reports-routes.js';
import type { LatestWeighing, SiteInfo } from './types.js';

const latestQuerySchema = z
  .object({ site: slug.optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .strict();

/** Today's latest incoming weighings of one site, newest first; void entries included so that corrections show. */
export async function queryLatestWeighings(deps: Pick<ReportsApiDeps, 'influx' | 'taxonomy'>, site: SiteConfig, limit: number, now = new Date()): Promise<LatestWeighing[]> {
  const date = localToday(site.timeZone, now);
  const { start, end } = localDayBounds(date, date, site.timeZone);
  const query =
    `SELECT "net_kg", "event_id", "device", "category", "entry", "source" FROM "${MEASUREMENT.weighing}" ` +
    `WHERE "site" = ${escape.stringLit(site.id)} AND "direction" = 'in' ` +
    `AND time >= ${escape.stringLit(start.toUTC().toISO() as string)} AND time < ${escape.stringLit(end.toUTC().toISO() as string)} ` +
    `ORDER BY time DESC LIMIT ${limit}`;
  const current = categoryResolver(deps.taxonomy);
  const out: LatestWeighing[] = [];
  const [series = []] = await selectSeries(deps.influx, [query]);
  for (const s of series) {
    const at = (row: unknown[], name: string) => row[s.columns.indexOf(name)];
    for (const row of s.values) {
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

export function registerSite(app: FastifyInstance, deps: ReportsApiDeps & { networkName: string }): void {
  const [home] = deps.sites;
  app.get('/api/v1/site', async (): Promise<SiteInfo> => ({
    id: home!.id,
    name: home!.name,
    timeZone: home!.timeZone,
    categories: deps.taxonomy.categories,
    taxonomy: deps.taxonomy,
    sites: deps.sites.map(({ id, name, timeZone }) => ({ id, name, timeZone })),
    networkName: deps.networkName,
  }));

  app.get('/api/v1/weighings/latest', async (req, reply) => {
    const q = parseQuery(latestQuerySchema, req.query, reply);
    const scope = q && resolveScope(q.site, deps.sites, reply);
    if (!q || !scope) return reply;
    try {
      return { site: scope.id, weighings: await queryLatestWeighings(deps, scope.sites[0]!, q.limit) };
    } catch (err) {
      return influxUnavailable(reply, req.log, err);
    }
  });
}

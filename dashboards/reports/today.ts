import { z } from 'zod';
import { ROLLUPS } from '../../storage/rollups.js';
import { rollupSums } from '../queries/rollup-sums.js';
import { localToday, zoneScopes, type Scope } from '../queries/scope.js';
import { periodTotals } from './collecte.js';
import { Grams, inListOrder } from './grams.js';
import { scopeParam, type ReportDefinition } from './report.js';
import type { ReportDeps } from './report-deps.js';
import type { TodayReport } from './report-types.js';

/** One time zone's sites on their own today. */
async function zoneToday(deps: ReportDeps, scope: Scope, now: Date) {
  const date = localToday(scope.sites[0]!.timeZone, now);
  const range = { from: date, to: date };
  const [collected, visits, bons] = await Promise.all([
    periodTotals(deps, scope, range),
    rollupSums(deps.influx, { rollup: ROLLUPS.visits, scope, ...range, fields: ['in', 'out'], groupBy: [], per: 'total' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.bons, scope, ...range, fields: ['n', 'net_kg'], groupBy: [], where: `"direction" = 'in' AND "state" = 'closed'`, per: 'total' }),
  ]);
  return { collected, visits, bons };
}

/**
 * Today's kilograms by category, closed bons and their average, entries, exits and who is in the shop.
 * A network's today is each site's own today: a site in La Réunion starts its day 2 or 3 hours before Paris.
 */
export async function todayReport(deps: ReportDeps, scope: Scope, now = new Date()): Promise<TodayReport> {
  const zones = await Promise.all(zoneScopes(scope).map((z) => zoneToday(deps, z, now)));
  const byCategory = new Grams();
  for (const { collected } of zones) for (const [c, kg] of Object.entries(collected.byCategory)) byCategory.add(c, kg);
  const visits = zones.flatMap((z) => z.visits);
  const bons = zones.flatMap((z) => z.bons);
  const entries = visits.reduce((n, r) => n + (r.values.in ?? 0), 0);
  const exits = visits.reduce((n, r) => n + (r.values.out ?? 0), 0);
  const count = bons.reduce((n, r) => n + (r.values.n ?? 0), 0);
  const bonGrams = new Grams().addRows(bons, () => 'all').totalGrams();
  const categories = inListOrder(byCategory.keys(), deps.taxonomy.categories);
  return {
    scope: scope.id,
    // The date the page heads with: the first (home) site's.
    date: localToday(scope.sites[0]!.timeZone, now),
    totalKg: byCategory.totalGrams() / 1000,
    categories,
    byCategory: byCategory.record(categories),
    bons: { count, avgKg: count ? Math.round(bonGrams / count) / 1000 : null },
    visitors: { in: entries, out: exits, occupancy: Math.max(0, entries - exits) },
  };
}

const todayQuery = z.object({ site: scopeParam }).strict();

export const today: ReportDefinition<'today', z.infer<typeof todayQuery>> = {
  name: 'today',
  query: todayQuery,
  build: (deps, scope) => todayReport(deps, scope),
};

import { ROLLUPS } from '../../ingest/rollups.js';
import { rollupSums } from '../queries/rollup-sums.js';
import { localToday, type Scope } from '../queries/scope.js';
import { periodTotals } from './collecte.js';
import { Grams } from './grams.js';
import type { ReportDeps } from './report-deps.js';
import type { TodayReport } from './report-types.js';

/** Today's kilograms by category, closed bons and their average, entries, exits and who is in the shop. */
export async function todayReport(deps: ReportDeps, scope: Scope, now = new Date()): Promise<TodayReport> {
  const date = localToday(scope.sites[0]!.timeZone, now);
  const range = { from: date, to: date };
  const [collected, visits, bons] = await Promise.all([
    periodTotals(deps, scope, range),
    rollupSums(deps.influx, { rollup: ROLLUPS.visits, scope, ...range, fields: ['in', 'out'], groupBy: [], per: 'total' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.bons, scope, ...range, fields: ['n', 'net_kg'], groupBy: [], where: `"direction" = 'in' AND "state" = 'closed'`, per: 'total' }),
  ]);
  const entries = visits.reduce((n, r) => n + (r.values.in ?? 0), 0);
  const exits = visits.reduce((n, r) => n + (r.values.out ?? 0), 0);
  const count = bons.reduce((n, r) => n + (r.values.n ?? 0), 0);
  const bonGrams = new Grams().addRows(bons, () => 'all').totalGrams();
  return {
    scope: scope.id,
    date,
    totalKg: collected.kg,
    categories: Object.keys(collected.byCategory),
    byCategory: collected.byCategory,
    bons: { count, avgKg: count ? Math.round(bonGrams / count) / 1000 : null },
    visitors: { in: entries, out: exits, occupancy: Math.max(0, entries - exits) },
  };
}

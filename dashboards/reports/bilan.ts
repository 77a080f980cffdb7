import { ROLLUPS } from '../../storage/rollups.js';
import { rollupSums } from '../queries/rollup-sums.js';
import type { Scope } from '../queries/scope.js';
import { Grams, inListOrder } from './grams.js';
import type { ReportDeps } from './report-deps.js';
import type { BilanReport } from './report-types.js';
import { valorisation } from './valorisation.js';

/** The funder's yearly table: tonnes by category and destination, valorisation, customers, bons by collect type. */
export async function bilanReport(deps: ReportDeps, scope: Scope, year: number): Promise<BilanReport> {
  const range = { from: `${year}-01-01`, to: `${year}-12-31` };
  const [rate, visits, bons] = await Promise.all([
    valorisation(deps, scope, range),
    rollupSums(deps.influx, { rollup: ROLLUPS.visits, scope, ...range, fields: ['in'], groupBy: [], per: 'total' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.bons, scope, ...range, fields: ['n', 'net_kg'], groupBy: ['direction', 'state', 'collect_type'], per: 'total' }),
  ]);
  const count = (pick: (tags: Record<string, string>) => boolean) => bons.filter((r) => pick(r.tags)).reduce((n, r) => n + (r.values.n ?? 0), 0);
  const closedIn = bons.filter((r) => r.tags.direction === 'in' && r.tags.state === 'closed');
  const kgByType = new Grams().addRows(closedIn, (r) => r.tags.collect_type!);
  const types = inListOrder(
    closedIn.map((r) => r.tags.collect_type!),
    deps.taxonomy.collectTypes,
  );
  return {
    scope: scope.id,
    ...range,
    year,
    destinations: rate.destinations,
    categories: rate.byCategory,
    totals: rate.totals,
    customers: visits.reduce((n, r) => n + (r.values.in ?? 0), 0),
    collectTypes: types.map((collectType) => ({ collectType, bons: count((t) => t.direction === 'in' && t.state === 'closed' && t.collect_type === collectType), kg: kgByType.kg(collectType) })),
    bons: {
      in: count((t) => t.direction === 'in' && t.state === 'closed'),
      out: count((t) => t.direction === 'out' && t.state === 'closed'),
      abandoned: count((t) => t.state === 'abandoned'),
    },
  };
}

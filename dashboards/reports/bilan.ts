import { z } from 'zod';
import { ROLLUPS } from '../../storage/rollups.js';
import { rollupSums } from '../queries/rollup-sums.js';
import type { Scope } from '../queries/scope.js';
import { Grams, inListOrder } from './grams.js';
import { exportParams, scopeParam, type ReportDefinition } from './report.js';
import type { ReportDeps } from './report-deps.js';
import type { BilanReport } from './report-types.js';
import { LABELS, labeller, percent, valorisationTable } from './tables.js';
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

const bilanQuery = z.object({ site: scopeParam, year: z.coerce.number().int().min(2000).max(2100), ...exportParams }).strict();

const T = {
  ...LABELS,
  bons: { fr: 'Bons', en: 'Slips' },
  figure: { fr: 'Indicateur', en: 'Figure' },
  value: { fr: 'Valeur', en: 'Value' },
  customers: { fr: 'Clients (entrées comptées)', en: 'Customers (counted entries)' },
  bonsIn: { fr: "Bons d'apport validés", en: 'Drop-off slips closed' },
  bonsOut: { fr: 'Bons de sortie validés', en: 'Outgoing slips closed' },
  bonsAbandoned: { fr: 'Bons abandonnés', en: 'Slips abandoned' },
} as const;

export const bilan: ReportDefinition<'bilan', z.infer<typeof bilanQuery>> = {
  name: 'bilan',
  query: bilanQuery,
  build: (deps, scope, q) => bilanReport(deps, scope, q.year),
  tables(r, { taxonomy, lang }) {
    const label = labeller(taxonomy, lang);
    return {
      bilan: valorisationTable(lang, label, r.destinations, r.categories, r.totals),
      collectes: { columns: [T.collectType[lang], T.bons[lang], T.kg[lang]], rows: r.collectTypes.map((c) => [label.collectType(c.collectType), c.bons, c.kg]) },
      resume: {
        columns: [T.figure[lang], T.value[lang]],
        rows: [
          [T.collected[lang], r.totals.collectedKg],
          [T.valorised[lang], r.totals.valorisedKg],
          [T.rate[lang], percent(r.totals.rate)],
          [T.customers[lang], r.customers],
          [T.bonsIn[lang], r.bons.in],
          [T.bonsOut[lang], r.bons.out],
          [T.bonsAbandoned[lang], r.bons.abandoned],
        ],
      },
    };
  },
  fileName: (q) => `bilan-${q.year}`,
};

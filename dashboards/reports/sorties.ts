import { ROLLUPS } from '../../storage/rollups.js';
import { bucketStart, bucketStarts, type Bucket, type Range } from '../queries/periods.js';
import { rollupSums } from '../queries/rollup-sums.js';
import type { Scope } from '../queries/scope.js';
import { Grams, inListOrder } from './grams.js';
import { rangeQuery, type RangeQuery, type ReportDefinition } from './report.js';
import type { ReportDeps } from './report-deps.js';
import type { SortiesReport } from './report-types.js';
import { LABELS, labeller, valorisationTable } from './tables.js';
import { valorisation } from './valorisation.js';

/** Outgoing kilograms per bucket and destination, by partner, and the valorisation rate of the range. */
export async function sortiesReport(deps: ReportDeps, scope: Scope, range: Range, bucket: Bucket): Promise<SortiesReport> {
  const [daily, partners, rate] = await Promise.all([
    rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByPartner, scope, ...range, fields: ['net_kg'], groupBy: ['destination'], per: 'day', months: bucket === 'month' || bucket === 'year' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByPartner, scope, ...range, fields: ['net_kg'], groupBy: ['destination', 'partner'], per: 'total' }),
    valorisation(deps, scope, range),
  ]);
  const cell = new Grams().addRows(daily, (r) => `${bucketStart(r.date, bucket)}|${r.tags.destination}`);
  const byDestination = new Grams().addRows(daily, (r) => r.tags.destination!);
  const destinations = inListOrder(byDestination.keys(), deps.taxonomy.destinations);
  const byPartner = new Grams().addRows(partners, (r) => JSON.stringify([r.tags.destination, r.tags.partner]));
  return {
    scope: scope.id,
    ...range,
    bucket,
    destinations,
    buckets: bucketStarts(range, bucket).map((start) => {
      const of = Object.fromEntries(destinations.map((d) => [d, cell.grams(`${start}|${d}`)]));
      return { start, totalKg: Object.values(of).reduce((a, b) => a + b, 0) / 1000, byDestination: Object.fromEntries(Object.entries(of).map(([d, g]) => [d, g / 1000])) };
    }),
    byDestination: byDestination.record(destinations),
    byPartner: byPartner
      .keys()
      .map((k) => {
        const [destination, partner] = JSON.parse(k) as [string, string];
        return { destination, partner, kg: byPartner.kg(k) };
      })
      .sort((a, b) => b.kg - a.kg),
    valorisation: { ...rate.totals, byCategory: rate.byCategory },
  };
}

const T = {
  ...LABELS,
  destination: { fr: 'Destination', en: 'Destination' },
  partner: { fr: 'Filière', en: 'Partner' },
} as const;

export const sorties: ReportDefinition<'sorties', RangeQuery> = {
  name: 'sorties',
  query: rangeQuery,
  build: (deps, scope, q) => sortiesReport(deps, scope, q, q.bucket),
  tables(r, { taxonomy, lang }) {
    const label = labeller(taxonomy, lang);
    const { byCategory, ...totals } = r.valorisation;
    return {
      periodes: {
        columns: [T.start[lang], ...r.destinations.map((d) => `${label.destination(d)} (kg)`), T.total[lang]],
        rows: r.buckets.map((b) => [b.start, ...r.destinations.map((d) => b.byDestination[d] ?? 0), b.totalKg]),
      },
      filieres: { columns: [T.destination[lang], T.partner[lang], T.kg[lang]], rows: r.byPartner.map((p) => [label.destination(p.destination), label.partner(p.partner), p.kg]) },
      valorisation: valorisationTable(lang, label, r.destinations, byCategory, totals),
    };
  },
};

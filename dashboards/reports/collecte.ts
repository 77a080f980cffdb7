import { categoryResolver } from '../../protocol/taxonomy.js';
import { ROLLUPS } from '../../storage/rollups.js';
import { bucketStart, bucketStarts, previousPeriod, sameRangeLastYear, type Bucket, type Range } from '../queries/periods.js';
import { rollupSums } from '../queries/rollup-sums.js';
import type { Scope } from '../queries/scope.js';
import { Grams, inListOrder, netLines } from './grams.js';
import { rangeQuery, type RangeQuery, type ReportDefinition } from './report.js';
import type { ReportDeps } from './report-deps.js';
import type { CollecteReport, PeriodTotals } from './report-types.js';
import { LABELS, labeller } from './tables.js';

const IN = `"direction" = 'in'`;

export async function periodTotals(deps: ReportDeps, scope: Scope, range: Range): Promise<PeriodTotals> {
  const current = categoryResolver(deps.taxonomy);
  const rows = await rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByCategory, scope, ...range, fields: ['net_kg'], groupBy: ['category'], where: IN, per: 'total' });
  const byCategory = new Grams().addRows(rows, (r) => current(r.tags.category!));
  return { ...range, kg: byCategory.totalGrams() / 1000, byCategory: byCategory.record(inListOrder(byCategory.keys(), deps.taxonomy.categories)) };
}

/** Kilograms collected: per bucket and category, by collect type and district, against the previous period and last year. */
export async function collecteReport(deps: ReportDeps, scope: Scope, range: Range, bucket: Bucket): Promise<CollecteReport> {
  const current = categoryResolver(deps.taxonomy);
  // Lines are counted apart: splitting the daily sums by entry as well triples their cost in InfluxDB.
  const [daily, lines, origin, previous, lastYear] = await Promise.all([
    rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByCategory, scope, ...range, fields: ['net_kg'], groupBy: ['category'], where: IN, per: 'day', months: bucket === 'month' || bucket === 'year' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByCategory, scope, ...range, fields: ['n'], groupBy: ['entry'], where: IN, per: 'total' }),
    rollupSums(deps.influx, { rollup: ROLLUPS.weighingsByOrigin, scope, ...range, fields: ['net_kg'], groupBy: ['collect_type', 'district'], per: 'total' }),
    periodTotals(deps, scope, previousPeriod(range)),
    periodTotals(deps, scope, sameRangeLastYear(range)),
  ]);

  const cell = new Grams().addRows(daily, (r) => `${bucketStart(r.date, bucket)}|${current(r.tags.category!)}`);
  const byCategory = new Grams().addRows(daily, (r) => current(r.tags.category!));
  const categories = inListOrder(byCategory.keys(), deps.taxonomy.categories);
  const buckets = bucketStarts(range, bucket).map((start) => {
    let total = 0;
    const of: Record<string, number> = {};
    for (const c of categories) {
      const g = cell.grams(`${start}|${c}`);
      of[c] = g / 1000;
      total += g;
    }
    return { start, totalKg: total / 1000, byCategory: of };
  });
  const byCollectType = new Grams().addRows(origin, (r) => r.tags.collect_type!);
  const byDistrict = new Grams().addRows(origin, (r) => r.tags.district!);
  return {
    scope: scope.id,
    ...range,
    bucket,
    categories,
    buckets,
    totals: { kg: byCategory.totalGrams() / 1000, lines: netLines(lines), byCategory: byCategory.record(categories) },
    byCollectType: byCollectType.record(inListOrder(byCollectType.keys(), deps.taxonomy.collectTypes)),
    byDistrict: byDistrict.record(inListOrder(byDistrict.keys(), deps.taxonomy.districts)),
    previous,
    lastYear,
  };
}

const T = {
  ...LABELS,
  district: { fr: 'Provenance', en: 'District' },
  previous: { fr: 'Période précédente (kg)', en: 'Previous period (kg)' },
  lastYear: { fr: "L'an dernier (kg)", en: 'Last year (kg)' },
} as const;

export const collecte: ReportDefinition<'collecte', RangeQuery> = {
  name: 'collecte',
  query: rangeQuery,
  build: (deps, scope, q) => collecteReport(deps, scope, q, q.bucket),
  tables(r, { taxonomy, lang }) {
    const label = labeller(taxonomy, lang);
    return {
      periodes: {
        columns: [T.start[lang], ...r.categories.map((c) => `${label.category(c)} (kg)`), T.total[lang]],
        rows: r.buckets.map((b) => [b.start, ...r.categories.map((c) => b.byCategory[c] ?? 0), b.totalKg]),
      },
      categories: {
        columns: [T.category[lang], T.kg[lang], T.previous[lang], T.lastYear[lang]],
        rows: [
          ...r.categories.map((c) => [label.category(c), r.totals.byCategory[c] ?? 0, r.previous.byCategory[c] ?? 0, r.lastYear.byCategory[c] ?? 0]),
          [T.allCategories[lang], r.totals.kg, r.previous.kg, r.lastYear.kg],
        ],
      },
      'types-de-collecte': { columns: [T.collectType[lang], T.kg[lang]], rows: Object.entries(r.byCollectType).map(([id, kg]) => [label.collectType(id), kg]) },
      provenances: { columns: [T.district[lang], T.kg[lang]], rows: Object.entries(r.byDistrict).map(([id, kg]) => [label.district(id), kg]) },
    };
  },
};

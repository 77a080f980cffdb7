import { isoWeekday } from '../../runtime/local-clock.js';
import { ROLLUPS, weekdayHourRollup } from '../../storage/rollups.js';
import { bucketStart, bucketStarts, sameRangeLastYear, type Bucket, type Range } from '../queries/periods.js';
import { rollupSums, type SumsRow } from '../queries/rollup-sums.js';
import { datesBetween, type Scope } from '../queries/scope.js';
import { periodTotals } from './collecte.js';
import { ratio } from './grams.js';
import { rangeQuery, type RangeQuery, type ReportDefinition } from './report.js';
import type { ReportDeps } from './report-deps.js';
import type { FrequentationReport } from './report-types.js';
import { LABELS } from './tables.js';

/** 0 Monday … 6 Sunday. */
const weekdayOf = (date: string) => isoWeekday(date) - 1;

function perBucket(rows: readonly SumsRow[], range: Range, bucket: Bucket): { start: string; visitors: number }[] {
  const sums = new Map<string, number>();
  for (const r of rows) {
    const start = bucketStart(r.date, bucket);
    sums.set(start, (sums.get(start) ?? 0) + (r.values.in ?? 0));
  }
  return bucketStarts(range, bucket).map((start) => ({ start, visitors: sums.get(start) ?? 0 }));
}

/** Visitors per bucket, by local weekday and hour, against last year, and kilograms collected per visitor. */
export async function frequentationReport(deps: ReportDeps, scope: Scope, range: Range, bucket: Bucket): Promise<FrequentationReport> {
  const lastYearRange = sameRangeLastYear(range);
  const days = (r: Range, fields: string[]) => rollupSums(deps.influx, { rollup: ROLLUPS.visits, scope, ...r, fields, groupBy: [], per: 'day' });
  // The heatmap from the rows kept by weekday and hour, summed with no time bucket: the hourly rows
  // grouped by hour cost InfluxDB 4 times more over a network's two years (storage/rollups.ts).
  const [cells, thisYear, lastYear, collected] = await Promise.all([
    rollupSums(deps.influx, { rollup: weekdayHourRollup(ROLLUPS.visits), scope, ...range, fields: ['in', 'out'], groupBy: ['weekday', 'hour'], per: 'total' }),
    days(range, ['in', 'out']),
    days(lastYearRange, ['in']),
    periodTotals(deps, scope, range),
  ]);

  const heatmap = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const c of cells) heatmap[Number(c.tags.weekday) - 1]![Number(c.tags.hour)]! += c.values.in ?? 0;
  let visitors = 0;
  let exits = 0;
  const perDay = new Map<string, number>();
  for (const r of thisYear) {
    perDay.set(r.date, (perDay.get(r.date) ?? 0) + (r.values.in ?? 0));
    visitors += r.values.in ?? 0;
    exits += r.values.out ?? 0;
  }
  const byWeekday = Array.from({ length: 7 }, (_, weekday) => ({ weekday, days: 0, visitors: 0, average: 0 }));
  for (const date of datesBetween(range.from, range.to)) {
    const w = byWeekday[weekdayOf(date)]!;
    w.days++;
    w.visitors += perDay.get(date) ?? 0;
  }
  for (const w of byWeekday) w.average = w.days ? Math.round((w.visitors / w.days) * 10) / 10 : 0;

  const lastYearBuckets = perBucket(lastYear, lastYearRange, bucket);
  return {
    scope: scope.id,
    ...range,
    bucket,
    buckets: perBucket(thisYear, range, bucket),
    lastYear: { ...lastYearRange, visitors: lastYearBuckets.reduce((a, b) => a + b.visitors, 0), buckets: lastYearBuckets },
    heatmap,
    byWeekday,
    totals: { visitors, exits, collectedKg: collected.kg, kgPerVisitor: ratio(collected.kg, visitors) },
  };
}

const WEEKDAYS = { fr: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'], en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] };

const T = {
  ...LABELS,
  visitors: { fr: 'Visiteurs', en: 'Visitors' },
  lastYearStart: { fr: "Début l'an dernier", en: 'Start last year' },
  lastYearVisitors: { fr: "Visiteurs l'an dernier", en: 'Visitors last year' },
  weekday: { fr: 'Jour', en: 'Day' },
  days: { fr: 'Nombre de jours', en: 'Days' },
  average: { fr: 'Moyenne par jour', en: 'Average per day' },
} as const;

export const frequentation: ReportDefinition<'frequentation', RangeQuery> = {
  name: 'frequentation',
  query: rangeQuery,
  build: (deps, scope, q) => frequentationReport(deps, scope, q, q.bucket),
  tables: (r, { lang }) => ({
    periodes: {
      columns: [T.start[lang], T.visitors[lang], T.lastYearStart[lang], T.lastYearVisitors[lang]],
      rows: r.buckets.map((b, i) => [b.start, b.visitors, r.lastYear.buckets[i]?.start ?? null, r.lastYear.buckets[i]?.visitors ?? null]),
    },
    heures: {
      columns: [T.weekday[lang], ...Array.from({ length: 24 }, (_, h) => `${h} h`)],
      rows: r.heatmap.map((hours, w) => [WEEKDAYS[lang][w]!, ...hours]),
    },
    'jours-de-semaine': {
      columns: [T.weekday[lang], T.days[lang], T.visitors[lang], T.average[lang]],
      rows: r.byWeekday.map((w) => [WEEKDAYS[lang][w.weekday]!, w.days, w.visitors, w.average]),
    },
  }),
};

import { escape } from 'influx';
import type { InfluxStore } from '../../storage/store.js';
import { monthlyName, ROLLUP_RETENTION_POLICY, type RollupDefinition } from '../../storage/rollups.js';
import { wholeMonths } from './periods.js';
import { byTimeZone, localDayBounds, siteCondition, type Scope } from './scope.js';
import { selectSeries } from '../../storage/select-series.js';
import { localClock } from '../../runtime/local-clock.js';

export interface SumsQuery {
  rollup: RollupDefinition;
  scope: Scope;
  /** Local dates, inclusive. */
  from: string;
  to: string;
  /** Rollup fields to sum. */
  fields: readonly string[];
  /** Tags to split by. */
  groupBy: readonly string[];
  /** Extra InfluxQL condition on the rollup's tags. */
  where?: string;
  /** `day`: one row per local day; `total`: one row for the whole range (date = from). */
  per: 'day' | 'total';
  /**
   * For `per: 'day'`: the caller folds the days into months or years. Then, as for totals, when the range
   * is whole months the monthly rollup is read: ≈ 30 times fewer rows.
   */
  months?: boolean;
}

export interface SumsRow {
  /** Local date (YYYY-MM-DD), or `from` for totals. */
  date: string;
  tags: Record<string, string>;
  values: Record<string, number>;
}

/**
 * Sums of a rollup's fields over a range, split by tags, computed by InfluxDB. One statement per time
 * zone of the scope (all in one request), each bucketed on its own local days; rows of the same date
 * and tags are then added up (a network's day is every site's own local day).
 */
export async function rollupSums(influx: InfluxStore, q: SumsQuery): Promise<SumsRow[]> {
  const groups = [...byTimeZone(q.scope)];
  if (groups.length === 0) return [];
  const monthly = Boolean((q.per === 'total' || q.months) && q.rollup.monthly && wholeMonths(q.from, q.to));
  const statements = groups.map(([timeZone, sites]) => {
    const { start, end } = localDayBounds(q.from, q.to, timeZone);
    const where = [siteCondition(sites), ...(q.where ? [q.where] : []), `time >= ${escape.stringLit(start.toUTC().toISO() as string)}`, `time < ${escape.stringLit(end.toUTC().toISO() as string)}`];
    const from = `${escape.quoted(ROLLUP_RETENTION_POLICY)}.${escape.quoted(monthly ? monthlyName(q.rollup) : q.rollup.name)}`;
    if (monthly && q.per === 'day') {
      // One row per month and series: InfluxDB has summed each month already; rows of a month are added up below.
      const groupBy = ['"site"', ...q.groupBy.map((t) => escape.quoted(t))];
      return `SELECT ${q.fields.map((f) => escape.quoted(f)).join(', ')} FROM ${from} WHERE ${where.join(' AND ')} GROUP BY ${groupBy.join(', ')}`;
    }
    const select = q.fields.map((f) => `sum(${escape.quoted(f)}) AS ${escape.quoted(f)}`).join(', ');
    const time = q.per === 'day' ? ['time(1d)'] : [];
    const groupBy = [...time, ...q.groupBy.map((t) => escape.quoted(t))];
    return (
      `SELECT ${select} FROM ${from} WHERE ${where.join(' AND ')}` +
      (groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : '') +
      (time.length ? ` fill(none) tz(${escape.stringLit(timeZone)})` : '')
    );
  });
  const results = await selectSeries(influx, statements, { epoch: 'ms' });
  const merged = new Map<string, SumsRow>();
  results.forEach((series, i) => {
    const local = localClock(groups[i]![0]);
    for (const s of series) {
      const tags = Object.fromEntries(q.groupBy.map((t) => [t, s.tags?.[t] ?? '']));
      const timeCol = s.columns.indexOf('time');
      const fieldCols = q.fields.map((f) => [f, s.columns.indexOf(f)] as const);
      for (const row of s.values) {
        const date = q.per === 'day' ? local(Number(row[timeCol])).date : q.from;
        const key = JSON.stringify([date, tags]);
        const out = merged.get(key) ?? { date, tags, values: Object.fromEntries(q.fields.map((f) => [f, 0])) };
        for (const [f, col] of fieldCols) {
          const v = row[col];
          if (typeof v === 'number') out.values[f]! += v;
        }
        merged.set(key, out);
      }
    }
  });
  return [...merged.values()];
}

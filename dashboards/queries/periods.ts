import { DateTime } from 'luxon';
import { z } from 'zod';

export const BUCKETS = ['day', 'week', 'month', 'year'] as const;
export type Bucket = (typeof BUCKETS)[number];
export const bucketSchema = z.enum(BUCKETS);

export interface Range {
  from: string;
  to: string;
}

const date = (s: string) => DateTime.fromISO(s, { zone: 'utc' });
const iso = (d: DateTime) => d.toISODate() as string;

/**
 * The first local date of the bucket a date falls in: weeks start on Monday (ISO, as in France).
 * InfluxQL has no calendar months and aligns weeks on the epoch's Thursday, so InfluxDB sums local days
 * and days are folded into weeks, months and years here.
 */
export function bucketStart(day: string, bucket: Bucket): string {
  const d = date(day);
  switch (bucket) {
    case 'day':
      return day;
    case 'week':
      return iso(d.startOf('week'));
    case 'month':
      return iso(d.startOf('month'));
    case 'year':
      return iso(d.startOf('year'));
  }
}

/** The buckets' first dates over a range, in order, the partial first and last ones included. */
export function bucketStarts(range: Range, bucket: Bucket): string[] {
  const out: string[] = [];
  for (let d = date(bucketStart(range.from, bucket)); iso(d) <= range.to; d = d.plus({ [`${bucket}s`]: 1 })) out.push(iso(d));
  return out;
}

export function daysIn(range: Range): number {
  return date(range.to).diff(date(range.from), 'days').days + 1;
}

/**
 * The period just before, to compare with: the previous whole month (or year) when the range is one,
 * else as many days ending the day before `from`.
 */
export function previousPeriod(range: Range): Range {
  const from = date(range.from);
  const to = date(range.to);
  for (const unit of ['year', 'month'] as const) {
    if (from.hasSame(from.startOf(unit), 'day') && to.hasSame(from.endOf(unit), 'day')) {
      const prev = from.minus({ [`${unit}s`]: 1 });
      return { from: iso(prev), to: iso(prev.endOf(unit)) };
    }
  }
  const days = daysIn(range);
  return { from: iso(from.minus({ days })), to: iso(from.minus({ days: 1 })) };
}

/** The same dates a year earlier (29 February becomes the 28th). */
export function sameRangeLastYear(range: Range): Range {
  return { from: iso(date(range.from).minus({ years: 1 })), to: iso(date(range.to).minus({ years: 1 })) };
}

/** Whether a range starts on a month's first day and ends on a month's last day. */
export function wholeMonths(from: string, to: string): boolean {
  const end = date(to);
  return date(from).day === 1 && end.hasSame(end.endOf('month'), 'day');
}

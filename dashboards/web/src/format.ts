import { localeOf } from '../../../web-kit/lang.js';
import type { Bucket } from '../../reports/report-types.js';
import { app, t } from './app.js';

/**
 * Numbers, masses, percentages, dates and durations as the users read them: `Intl` in fr-FR (decimal comma,
 * narrow spaces) or en-GB. Dates from the API are the site's local calendar dates, so they are formatted as
 * UTC dates: no time zone may shift them.
 */

const formatters = new Map<string, Intl.NumberFormat>();

/** A number with between `min` and `max` decimals. */
export function number(n: number, min = 0, max = min): string {
  const key = `${app.lang}|${min}|${max}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.NumberFormat(localeOf(app.lang), { minimumFractionDigits: min, maximumFractionDigits: max })));
  return f.format(n);
}

/** Kilograms with a fixed count of decimals, without the unit (a scale's display, a total beside its label). */
export function kg(n: number, decimals: number): string {
  return number(n, decimals, decimals);
}

/** A mass in kilograms under a tonne, in tonnes from there: « 38,35 kg », « 12,4 t ». */
export function mass(kgValue: number): string {
  return Math.abs(kgValue) < 1000 ? `${number(kgValue, 0, 2)}\u00a0kg` : `${number(kgValue / 1000, 1, 1)}\u00a0t`;
}

/** The unit `massParts` uses for a value, so that a big figure and its unit can be styled apart. */
export function massParts(kgValue: number): { value: string; unit: 'kg' | 't' } {
  return Math.abs(kgValue) < 1000 ? { value: number(kgValue, 1, 1), unit: 'kg' } : { value: number(kgValue / 1000, 1, 1), unit: 't' };
}

/** A rate (0.912) as « 91,2 % »; « — » when there is none (nothing collected). */
export function percent(rate: number | null, decimals = 1): string {
  if (rate === null || !Number.isFinite(rate)) return '—';
  return new Intl.NumberFormat(localeOf(app.lang), { style: 'percent', minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(rate);
}

/** The change from `before` to `now` as « +12,5 % » / « −3,0 % », or undefined when there was nothing before. */
export function change(now: number, before: number): { text: string; direction: 'up' | 'down' | 'same' } | undefined {
  if (before === 0) return undefined;
  const rate = (now - before) / Math.abs(before);
  const text = new Intl.NumberFormat(localeOf(app.lang), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(rate);
  return { text, direction: rate > 0.0005 ? 'up' : rate < -0.0005 ? 'down' : 'same' };
}

/** A duration the way people say it: « 45 s », « 3 min », « 2 h 10 », « 3 j 4 h ». */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}\u00a0s`;
  if (s < 3600) return `${Math.floor(s / 60)}\u00a0min`;
  if (s < 86_400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h}\u00a0h\u00a0${String(m).padStart(2, '0')}` : `${h}\u00a0h`;
  }
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const day = t('unit.day');
  return h ? `${d}\u00a0${day}\u00a0${h}\u00a0h` : `${d}\u00a0${day}`;
}

const asUtc = (date: string) => new Date(`${date}T00:00:00Z`);

/** A local calendar date (YYYY-MM-DD) in words. */
export function date(value: string, options: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long', year: 'numeric' }): string {
  return new Intl.DateTimeFormat(localeOf(app.lang), { ...options, timeZone: 'UTC' }).format(asUtc(value));
}

/** A range of local dates: « 3 – 9 mars 2025 », « 1 janv. 2025 – 31 déc. 2025 ». */
export function dateRange(from: string, to: string): string {
  const f = new Intl.DateTimeFormat(localeOf(app.lang), { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return from === to ? f.format(asUtc(from)) : f.formatRange(asUtc(from), asUtc(to));
}

/** A bucket's name on an axis: « lun. 3 », « sem. du 3 mars », « mars 2025 », « 2025 ». */
export function bucketLabel(start: string, bucket: Bucket, long = false): string {
  switch (bucket) {
    case 'day':
      return date(start, long ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' } : { weekday: 'short', day: 'numeric', month: 'short' });
    case 'week':
      return t('bucket.weekOf', { date: date(start, { day: 'numeric', month: 'short', ...(long ? { year: 'numeric' } : {}) }) });
    case 'month':
      return date(start, { month: long ? 'long' : 'short', year: 'numeric' });
    case 'year':
      return start.slice(0, 4);
  }
}

/** A clock time in a time zone: « 14:05 ». */
export function clock(at: Date, timeZone: string, seconds = false): string {
  return new Intl.DateTimeFormat(localeOf(app.lang), { timeZone, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(at);
}

/** Weekday names, Monday first (the API's order). */
export function weekdayName(weekday: number, style: 'long' | 'short' = 'long'): string {
  // 2024-01-01 was a Monday.
  return date(`2024-01-0${weekday + 1}`, { weekday: style });
}

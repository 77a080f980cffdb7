/**
 * Calendar dates (YYYY-MM-DD) as the reports take them: a site's local dates. The arithmetic runs on UTC
 * dates, where no daylight-saving change can move a day.
 */

export interface DateRange {
  from: string;
  to: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(value: string | null | undefined): value is string {
  return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** A typed date: « 10/03/2025 », « 10.3.2025 » or « 10-03-2025 » day first, or ISO in either language. */
export function readDate(text: string): string | undefined {
  const s = text.trim();
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  const typed = dayFirst ? `${dayFirst[3]}-${dayFirst[2]!.padStart(2, '0')}-${dayFirst[1]!.padStart(2, '0')}` : s;
  if (!isDate(typed)) return undefined;
  // Date.parse rolls 30 February over to 2 March; a date must read back as typed.
  return iso(asUtc(typed)) === typed ? typed : undefined;
}

const asUtc = (date: string) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The calendar date of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export function addDays(date: string, days: number): string {
  const d = asUtc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return iso(d);
}

/** 0 Monday … 6 Sunday, as the API numbers weekdays. */
export function weekdayOf(date: string): number {
  return (asUtc(date).getUTCDay() + 6) % 7;
}

function endOfMonth(date: string): string {
  const d = asUtc(date);
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)));
}

export const PRESETS = ['today', 'week', 'month', 'year', 'lastYear'] as const;
export type Preset = (typeof PRESETS)[number];

/** A preset's whole calendar period around `today`: weeks start on Monday, as in France. */
export function presetRange(preset: Preset, today: string): DateRange {
  const year = today.slice(0, 4);
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case 'week': {
      const monday = addDays(today, -weekdayOf(today));
      return { from: monday, to: addDays(monday, 6) };
    }
    case 'month':
      return { from: `${today.slice(0, 7)}-01`, to: endOfMonth(today) };
    case 'year':
      return { from: `${year}-01-01`, to: `${year}-12-31` };
    case 'lastYear':
      return { from: `${Number(year) - 1}-01-01`, to: `${Number(year) - 1}-12-31` };
  }
}

/** The preset a range is, if it is one. */
export function presetOf(range: DateRange, today: string): Preset | undefined {
  return PRESETS.find((p) => {
    const r = presetRange(p, today);
    return r.from === range.from && r.to === range.to;
  });
}

export function contains(range: DateRange, date: string): boolean {
  return range.from <= date && date <= range.to;
}

import { IANAZone } from 'luxon';

const DAY_MS = 86_400_000;

export interface LocalTime {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** Local hour, 0–23. */
  hour: number;
}

/** ISO weekday (1 Monday … 7 Sunday) of a date YYYY-MM-DD, as a calendar date (no time zone involved). */
export const isoWeekday = (date: string) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/**
 * The local date and hour of instants in one time zone, for the rows of a query. Luxon finds a zone's offset
 * through Intl for every instant it is given: 17,520 hours (a network's two years) took 600–900 ms, the
 * most of the Fréquentation page's time. A zone changes its offset at most once in a UTC day, so the offset
 * is looked up at both ends of each UTC day and, when they agree, kept for the whole day; only a day of a
 * change (two a year in Europe) is looked up instant by instant.
 */
export function localClock(timeZone: string): (epochMs: number) => LocalTime {
  const zone = IANAZone.create(timeZone);
  /** Offset in minutes for the whole UTC day, or null when it changes that day. */
  const dayOffsets = new Map<number, number | null>();
  return (epochMs) => {
    const day = Math.floor(epochMs / DAY_MS);
    let offset = dayOffsets.get(day);
    if (offset === undefined) {
      const first = zone.offset(day * DAY_MS);
      offset = first === zone.offset((day + 1) * DAY_MS - 1) ? first : null;
      dayOffsets.set(day, offset);
    }
    const local = new Date(epochMs + (offset ?? zone.offset(epochMs)) * 60_000);
    return { date: local.toISOString().slice(0, 10), hour: local.getUTCHours() };
  };
}

import { escape } from 'influx';
import { DateTime } from 'luxon';
import type { SiteConfig } from '../../runtime/connections.js';

/**
 * The sites a view covers: one site, or the whole network. A network's day is each site's own local
 * day (sites may sit in different time zones, e.g. a ressourcerie in La Réunion): queries run once per
 * time zone and their days are merged by date.
 */
export interface Scope {
  /** NETWORK for the whole network, else the one site's id. */
  id: string;
  sites: SiteConfig[];
}

/** The scope id, and the `site` parameter, of the whole network. */
export const NETWORK = '*';

export function byTimeZone(scope: Scope): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const s of scope.sites) groups.set(s.timeZone, [...(groups.get(s.timeZone) ?? []), s.id]);
  return groups;
}

/** A scope cut by time zone: where each zone's days must be asked apart (each zone's own today). */
export function zoneScopes(scope: Scope): Scope[] {
  return [...byTimeZone(scope).values()].map((ids) => ({ id: scope.id, sites: scope.sites.filter((s) => ids.includes(s.id)) }));
}

/** The InfluxQL condition that keeps the rows of these sites (one time zone's group of a scope). */
export function siteCondition(sites: string[]): string {
  return sites.length === 1 ? `"site" = ${escape.stringLit(sites[0]!)}` : `(${sites.map((s) => `"site" = ${escape.stringLit(s)}`).join(' OR ')})`;
}

/** The UTC instants of the local midnights that start `from` and end `to` (inclusive dates), in a zone. */
export function localDayBounds(from: string, to: string, timeZone: string): { start: DateTime; end: DateTime } {
  const start = DateTime.fromISO(from, { zone: timeZone }).startOf('day');
  const end = DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 }).startOf('day');
  return { start, end };
}

export function localToday(timeZone: string, now: Date = new Date()): string {
  return DateTime.fromJSDate(now, { zone: timeZone }).toISODate() as string;
}

/** Every date from `from` to `to` inclusive (YYYY-MM-DD, calendar dates: no time zone involved). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromISO(from, { zone: 'utc' }); (d.toISODate() as string) <= to; d = d.plus({ days: 1 })) out.push(d.toISODate() as string);
  return out;
}

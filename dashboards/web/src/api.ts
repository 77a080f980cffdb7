import type { Lang } from '../../../web-kit/lang.js';
import type { ReportName } from '../../reports/report-types.js';
import { sessionEnded } from './login.js';

/**
 * The dashboards' API as the page calls it. What the server sends is typed in dashboards/api/types.ts and
 * dashboards/reports/report-types.ts, validated there, so trusted here.
 */

/** Fetches JSON; a failure throws the server's own message (400 names the field, 503 says InfluxDB is down). */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  // The session ended (signed out elsewhere, password changed): back to the login screen.
  if (res.status === 401) sessionEnded();
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { message?: string };
      if (body.message) message = body.message;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new Error(message);
  }
  return (await res.json()) as T;
}

/** A report's URL; the same URL with `format=csv` gives one of its tables. */
export function reportPath(name: ReportName, query: Record<string, string>): string {
  return `/api/v1/reports/${name}?${new URLSearchParams(query).toString()}`;
}

export function csvPath(report: string, table: string, lang: Lang): string {
  return `${report}&${new URLSearchParams({ format: 'csv', table, lang }).toString()}`;
}

import type { KioskBon, KioskLine, KioskRefusal, KioskScale, KioskState, OpenBonInput, RefusalCode } from '../../kiosk-types.js';

/**
 * A refused action as the page words it: the agent's refusal, or the page's own when the agent could not
 * be reached (`network`) or answered something else than a refusal (`http`).
 */
export interface PageRefusal {
  error: RefusalCode | 'network' | 'http';
  message: string;
  params?: Record<string, string | number>;
}

export type Outcome<T> = { ok: true; data: T } | { ok: false; refusal: PageRefusal };

type By = { by?: string };

export type OpenBonBody = OpenBonInput & By;

function isRefusal(body: unknown): body is KioskRefusal {
  return typeof body === 'object' && body !== null && typeof (body as KioskRefusal).error === 'string' && typeof (body as KioskRefusal).message === 'string';
}

async function call<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: object): Promise<Outcome<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
    });
  } catch (err) {
    return { ok: false, refusal: { error: 'network', message: err instanceof Error ? err.message : String(err) } };
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  if (res.ok) return { ok: true, data: json as T };
  if (isRefusal(json)) return { ok: false, refusal: json };
  return { ok: false, refusal: { error: 'http', message: res.statusText || 'error', params: { status: res.status } } };
}

const BASE = '/api/v1/kiosk';
const seg = encodeURIComponent;

/** The agent's kiosk API (edge-agent/kiosk/kiosk-http.ts). */
export const api = {
  state: () => call<KioskState>('GET', `${BASE}/state`),
  openBon: (body: OpenBonBody) => call<KioskBon>('POST', `${BASE}/bons`, body),
  updateBon: (bonId: string, body: { district?: string | null; comment?: string | null }) => call<KioskBon>('PATCH', `${BASE}/bons/${seg(bonId)}`, body),
  closeBon: (bonId: string, body: By) => call<KioskBon>('POST', `${BASE}/bons/${seg(bonId)}/close`, body),
  abandonBon: (bonId: string, body: By) => call<KioskBon>('POST', `${BASE}/bons/${seg(bonId)}/abandon`, body),
  typeLine: (bonId: string, body: { scale: string; category: string; typed: string; container?: string } & By) =>
    call<KioskLine>('POST', `${BASE}/bons/${seg(bonId)}/lines`, body),
  voidLine: (bonId: string, lineId: string, body: By) => call<KioskLine>('POST', `${BASE}/bons/${seg(bonId)}/lines/${seg(lineId)}/void`, body),
  pickCategory: (scale: string, body: { category: string } & By) => call<{ line?: KioskLine }>('POST', `${BASE}/scales/${seg(scale)}/category`, body),
  setContainer: (scale: string, container: string | null) => call<KioskScale>('PUT', `${BASE}/scales/${seg(scale)}/container`, { container }),
};

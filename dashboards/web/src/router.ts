import type { PageId } from './pages/index.js';

/**
 * The hash router: `#/collecte?from=2025-01-01&to=2025-12-31&bucket=month&site=*`. The whole view is in the
 * address, so that it can be bookmarked and shared; the server only ever serves one page.
 */

/** What an address may name: a page of pages/index.ts, or the TV mode that shows some of them in turn. */
export type RouteId = PageId | 'tv';

export interface Route {
  /** As the address spells it: main.ts shows the home page instead of one it does not know. */
  page: string;
  params: URLSearchParams;
}

function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  return { page: path, params: new URLSearchParams(query) };
}

export function currentRoute(): Route {
  return parseHash(location.hash);
}

/** An address, the page as spelled: the current one is rewritten as it is. */
function href(page: string, params: URLSearchParams | Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `#/${page}${query ? `?${query}` : ''}`;
}

export function hrefOf(page: RouteId, params: URLSearchParams | Record<string, string> = {}): string {
  return href(page, params);
}

/** Changes some parameters of the current view (a new history entry: Back returns to the previous view). */
export function setParams(patch: Record<string, string | undefined>): void {
  const { page, params } = currentRoute();
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  location.hash = href(page, params);
}

/** Writes the parameters a view was shown with (its defaults filled in) without a new history entry. */
export function replaceParams(params: URLSearchParams): void {
  const { page } = currentRoute();
  const next = href(page, params);
  if (location.hash !== next) history.replaceState(null, '', next);
}

export function onRouteChange(listener: (route: Route) => void): void {
  window.addEventListener('hashchange', () => listener(currentRoute()));
}

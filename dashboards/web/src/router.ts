/**
 * The hash router: `#/collecte?from=2025-01-01&to=2025-12-31&bucket=month&site=*`. The whole view is in the
 * address, so that it can be bookmarked and shared; the server only ever serves one page.
 */

const PAGE_IDS = ['aujourdhui', 'collecte', 'sorties', 'frequentation', 'bilan', 'appareils', 'tv'] as const;
export type PageId = (typeof PAGE_IDS)[number];
const DEFAULT_PAGE: PageId = 'aujourdhui';

export interface Route {
  page: PageId;
  params: URLSearchParams;
}

function isPageId(value: string): value is PageId {
  return (PAGE_IDS as readonly string[]).includes(value);
}

function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  return { page: isPageId(path) ? path : DEFAULT_PAGE, params: new URLSearchParams(query) };
}

export function currentRoute(): Route {
  return parseHash(location.hash);
}

export function hrefOf(page: PageId, params: URLSearchParams | Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `#/${page}${query ? `?${query}` : ''}`;
}

/** Changes some parameters of the current view (a new history entry: Back returns to the previous view). */
export function setParams(patch: Record<string, string | undefined>): void {
  const { page, params } = currentRoute();
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  location.hash = hrefOf(page, params);
}

/** Writes the parameters a view was shown with (its defaults filled in) without a new history entry. */
export function replaceParams(params: URLSearchParams): void {
  const { page } = currentRoute();
  const href = hrefOf(page, params);
  if (location.hash !== href) history.replaceState(null, '', href);
}

export function onRouteChange(listener: (route: Route) => void): void {
  window.addEventListener('hashchange', () => listener(currentRoute()));
}

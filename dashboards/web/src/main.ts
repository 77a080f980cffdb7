import { $, h } from '../../../web-kit/dom.js';
import { localeOf } from '../../../web-kit/lang.js';
import type { SiteInfo } from '../../api/types.js';
import { app, onLangChange, scopeName, setLang, t, timeZoneOf } from './app.js';
import { getJson } from './api.js';
import { reportProblem } from './error-banner.js';
import { showDemo } from './demo-ribbon.js';
import { clock } from './format.js';
import type { MessageKey } from './i18n.js';
import { linkState, onLive, startLiveStream } from './live-stream.js';
import { signIn } from './login.js';
import type { PageDefinition, PageView } from './page.js';
import { PAGES, type PageId } from './pages/index.js';
import { currentRoute, hrefOf, onRouteChange, type Route } from './router.js';
import { scopeParam } from './site-picker.js';
import { requestFullscreen, tvHref, tvMode } from './tv-mode.js';

/** The shell of the single-page app: top bar, navigation, language, and the page the address names. */

/** What the app shows: a page of the list, or the TV mode; and the address's parameters. */
interface Shown {
  page: PageDefinition<PageId> | 'tv';
  params: URLSearchParams;
}

const SITE_RETRY_MS = 5_000;

/** What an address shows: the page it names, the home page (the first) for one it does not know. */
function shownAt({ page, params }: Route): Shown {
  return { page: page === 'tv' ? 'tv' : (PAGES.find((p) => p.id === page) ?? PAGES[0]), params };
}
const idOf = (page: Shown['page']) => (page === 'tv' ? page : page.id);

const view = $('[data-testid="view"]');
let current: { page: Shown['page']; view: PageView } | undefined;
let route = shownAt(currentRoute());

/** The words written in the HTML itself (the login form's too), in the current language. */
function translateStatic(): void {
  document.documentElement.lang = app.lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey);
  for (const btn of document.querySelectorAll<HTMLButtonElement>('.lang-switch button')) btn.setAttribute('aria-pressed', String(btn.dataset.lang === app.lang));
  $('.lang-switch').setAttribute('aria-label', t('language'));
  $('[data-testid="tv-button"]').title = t('tv.title');
}

function renderHeader(): void {
  const link = linkState();
  const el = $('[data-testid="connection-status"]');
  el.dataset.state = link;
  el.querySelector('.link-label')!.textContent = t(`link.${link}` as MessageKey);
  el.title = link === 'live' ? t('link.titleLive') : link === 'brokerDown' ? t('link.titleBrokerDown') : t('link.titleOffline');
  const scope = app.site ? scopeParam(route.params) : '';
  const timeZone = timeZoneOf(scope);
  const now = new Date();
  const day = new Intl.DateTimeFormat(localeOf(app.lang), { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(now);
  $('[data-testid="today-date"]').textContent = `${day} · ${clock(now, timeZone)}`;
  const name = app.site ? scopeName(scope) : '…';
  $('[data-testid="site-name"]').textContent = name;
  const page = t(route.page === 'tv' ? 'tv.button' : route.page.titleKey);
  document.title = `${app.site?.demo ? `${t('demo.title')} · ` : ''}${name} · ${page} · Trébuchet`;
}

/** The address of a page from the current view: the same site, and the same range between ranged pages. */
function navHref(target: PageDefinition<PageId>): string {
  const params = new URLSearchParams();
  const site = route.params.get('site');
  if (site) params.set('site', site);
  if (target.ranged && route.page !== 'tv' && route.page.ranged) {
    for (const key of ['from', 'to', 'bucket']) {
      const value = route.params.get(key);
      if (value) params.set(key, value);
    }
  }
  return hrefOf(target.id, params);
}

function renderNav(): void {
  $('[data-testid="nav"]').replaceChildren(
    ...PAGES.map((page) =>
      h('a', { class: `tab${page === route.page ? ' active' : ''}`, href: navHref(page), 'data-page': page.id, ...(page === route.page ? { 'aria-current': 'page' } : {}) }, t(page.titleKey)),
    ),
  );
  $('[data-testid="nav"]').setAttribute('aria-label', t('nav.label'));
  $('[data-testid="tv-button"]').setAttribute('href', tvHref(scopeParam(route.params)));
}

function show(next: Route): void {
  route = shownAt(next);
  // The address names the page shown (the home page for an unknown one) before the page writes its parameters into it.
  if (idOf(route.page) !== next.page) history.replaceState(null, '', hrefOf(idOf(route.page), route.params));
  if (current?.page !== route.page) {
    current?.view.dispose();
    view.replaceChildren();
    view.dataset.page = idOf(route.page);
    current = { page: route.page, view: route.page === 'tv' ? tvMode(view, PAGES) : route.page.mount(view, { tv: false }) };
  }
  current.view.update(route.params);
  // The page may have written its defaults into the address.
  route = { page: route.page, params: currentRoute().params };
  renderNav();
  renderHeader();
}

async function loadSite(): Promise<SiteInfo> {
  for (;;) {
    try {
      const site = await getJson<SiteInfo>('/api/v1/site');
      reportProblem('site', undefined);
      return site;
    } catch (err) {
      reportProblem('site', (err as Error).message);
      await new Promise((resolve) => window.setTimeout(resolve, SITE_RETRY_MS));
    }
  }
}

for (const btn of document.querySelectorAll<HTMLButtonElement>('.lang-switch button')) {
  btn.addEventListener('click', () => setLang(btn.dataset.lang === 'en' ? 'en' : 'fr'));
}
// A gesture is what browsers ask before going full screen.
$('[data-testid="tv-button"]').addEventListener('click', requestFullscreen);
onLangChange(() => {
  translateStatic();
  renderHeader();
  if (app.site) {
    renderNav();
    current?.view.relabel();
  }
});
// Weights stream at up to 5 Hz: the header only cares when the link changes.
let shownLink = linkState();
onLive({
  changed: () => {
    if (linkState() === shownLink) return;
    shownLink = linkState();
    renderHeader();
  },
});
// The clock in the header.
window.setInterval(renderHeader, 15_000);

translateStatic();
renderHeader();
void signIn($('[data-testid="login-screen"]'), t).then(async () => {
  app.site = await loadSite();
  if (app.site.demo) showDemo();
  startLiveStream();
  onRouteChange(show);
  show(currentRoute());
});

import { h } from '../../../web-kit/dom.js';
import { t } from './app.js';
import { presetRange } from './dates.js';
import type { PageDefinition, PageView } from './page.js';
import type { PageId } from './pages/index.js';
import { scopeToday } from './report-page.js';
import { hrefOf } from './router.js';
import { scopeParam } from './site-picker.js';

const DEFAULT_EVERY_S = 20;
const MIN_EVERY_S = 5;
const MAX_EVERY_S = 3600;

/** The live pages a TV shows in turn, each with what it is worth watching on a wall. */
const ROTATION: { page: PageId; params(site: string, today: string): Record<string, string> }[] = [
  { page: 'aujourdhui', params: (site) => ({ site }) },
  { page: 'frequentation', params: (site, today) => ({ ...presetRange('today', today), bucket: 'day', site }) },
  { page: 'collecte', params: (site, today) => ({ ...presetRange('month', today), bucket: 'day', site }) },
];

/** Asks for full screen; browsers allow it only after a gesture, so a refusal is expected and harmless. */
export function requestFullscreen(): void {
  if (!document.fullscreenElement) document.documentElement.requestFullscreen?.().catch(() => undefined);
}

/** The TV mode's address, for the button in the top bar. */
export function tvHref(site: string): string {
  return hrefOf('tv', { every: String(DEFAULT_EVERY_S), site });
}

/**
 * The TV mode (`#/tv?every=20`): the live pages full screen, big type, no controls, one after the other,
 * forever. Each page is mounted afresh at its turn, so it shows fresh figures even if the live stream
 * dropped meanwhile; the stream reconnects by itself.
 */
export function tvMode(root: HTMLElement, pages: readonly PageDefinition<PageId>[]): PageView {
  let index = 0;
  let site = '';
  let everyS = DEFAULT_EVERY_S;
  let timer: number | undefined;
  let current: PageView | undefined;
  const stage = h('div', { class: 'tv-stage', 'data-testid': 'tv-page' });
  const progress = h('div', { class: 'tv-progress', 'aria-hidden': 'true' });
  const exit = h('a', { class: 'tv-exit', href: hrefOf('aujourdhui'), 'data-testid': 'tv-exit' }, t('tv.exit'));
  root.replaceChildren(stage, progress, exit);
  document.body.classList.add('tv');

  const show = () => {
    const turn = ROTATION[index % ROTATION.length]!;
    current?.dispose();
    stage.replaceChildren();
    stage.dataset.page = turn.page;
    current = pages.find((p) => p.id === turn.page)!.mount(stage, { tv: true });
    current.update(new URLSearchParams(turn.params(site, scopeToday(site))));
    // Restart the bar that shows when the next page comes.
    progress.style.animation = 'none';
    void progress.offsetWidth;
    progress.style.animation = `tv-progress ${everyS}s linear`;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      index++;
      show();
    }, everyS * 1000);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') location.hash = hrefOf('aujourdhui');
  };
  const onClick = () => requestFullscreen();
  document.addEventListener('keydown', onKey);
  document.addEventListener('click', onClick);
  requestFullscreen();

  return {
    update(query) {
      const every = Number(query.get('every'));
      everyS = Number.isFinite(every) && every >= MIN_EVERY_S ? Math.min(every, MAX_EVERY_S) : DEFAULT_EVERY_S;
      site = scopeParam(query);
      show();
    },
    relabel() {
      exit.textContent = t('tv.exit');
      current?.relabel();
    },
    dispose() {
      window.clearTimeout(timer);
      current?.dispose();
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('click', onClick);
      document.body.classList.remove('tv');
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    },
  };
}

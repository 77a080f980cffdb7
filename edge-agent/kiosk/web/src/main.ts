import type { KioskBon, KioskLiveEvent, KioskNotice, KioskState } from '../../kiosk-types.js';
import { resync } from './actions.js';
import { renderDesk } from './bon-view.js';
import { $, button, h, redraw, setAttr, setText } from '../../../../web-kit/dom.js';
import { rememberLang, type MessageKey } from './i18n.js';
import { checkModal, openModal, repaintModal, sheetHead, type Modal } from './modal.js';
import { showAgentNotice } from './notices.js';
import { applyLive, renderScales } from './scale-panels.js';
import { app, bonTotal, formatKg, hhmm, labelOf, onRedraw, onState, setOperator, standing, t } from './store.js';

// ---- Header ----

function renderStatic(): void {
  document.documentElement.lang = app.lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) setText(el, t(el.dataset.i18n as MessageKey));
  const k = app.kiosk;
  document.title = k ? `${k.siteName ?? k.site} · ${k.agent} · Trébuchet` : 'Trébuchet';
}

function linkKey(): MessageKey {
  if (app.stream === 'connecting') return 'link.connecting';
  if (app.stream === 'lost') return 'link.lost';
  return app.kiosk?.link === 'connected' ? 'link.connected' : 'link.disconnected';
}

function renderHeader(): void {
  const k = app.kiosk;
  setText($('[data-testid="kiosk-site"]'), k ? (k.siteName ?? k.site) : '…');
  setText($('[data-testid="kiosk-counter"]'), k?.agent ?? '');
  $('[data-testid="kiosk-demo"]').hidden = !k?.demo;
  const connected = app.stream === 'open' && k?.link === 'connected';
  const link = $('[data-testid="kiosk-link"]');
  setAttr(link, 'data-state', connected ? 'connected' : 'disconnected');
  setAttr(link, 'data-stream', app.stream);
  setText(link.querySelector('.link-label')!, t(linkKey()));
  const depth = k?.outbox.depth ?? 0;
  const outbox = $('[data-testid="kiosk-outbox"]');
  setText(outbox, t('outbox', { n: depth }));
  setAttr(outbox, 'data-depth', String(depth));
  outbox.hidden = connected && depth === 0;
  const operator = $('[data-testid="operator"]');
  setText(operator.querySelector('.operator-label')!, t('operator.label'));
  setText(operator.querySelector('.operator-name')!, app.operator || t('operator.none'));
  operator.classList.toggle('is-unset', !app.operator);
  const lang = $('[data-testid="lang-toggle"]');
  setAttr(lang, 'aria-label', t('lang.switch'));
  setAttr(lang, 'data-lang', app.lang);
}

// ---- Operator ----

function openOperatorDialog(): void {
  const save = (name: string) => {
    setOperator(name);
    modal.close();
    renderHeader();
  };
  const modal: Modal = openModal({
    testid: 'operator-dialog',
    paint: () => {
      const input = h('input', { class: 'text-input', 'data-testid': 'operator-input', type: 'text', maxlength: '64', autocomplete: 'off', enterkeyhint: 'done' });
      input.value = app.operator;
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') save(input.value);
      });
      queueMicrotask(() => input.focus());
      return [
        sheetHead(t('operator.title'), () => modal, t('operator.hint')),
        h('div', { class: 'sheet-body' }, input),
        h(
          'div',
          { class: 'sheet-actions' },
          button({ class: 'btn btn-big btn-secondary', 'data-testid': 'operator-clear' }, t('operator.clear'), () => save('')),
          button({ class: 'btn btn-big btn-primary', 'data-testid': 'operator-save' }, t('operator.save'), () => save(input.value)),
        ),
      ];
    },
  });
}

// ---- Latest bons ----

function recentItem(bon: KioskBon): HTMLElement {
  const kind = bon.direction === 'in' ? labelOf('collectTypes', bon.collectType) : labelOf('destinations', bon.destination);
  return h(
    'li',
    { class: `recent-bon is-${bon.state}`, 'data-bon-id': bon.bonId, 'data-state': bon.state },
    h('span', { class: 'recent-number' }, t('recent.number', { number: bon.number })),
    h('span', { class: 'recent-time' }, hhmm(bon.closedAt ?? bon.openedAt)),
    h('span', { class: 'recent-kind' }, `${t(bon.direction === 'in' ? 'bon.in' : 'bon.out')} · ${kind}`),
    h('span', { class: 'recent-kg' }, `${formatKg(bonTotal(bon))} kg`),
    h('span', { class: 'recent-state' }, t(bon.state === 'abandoned' ? 'recent.abandoned' : 'recent.closed')),
  );
}

function renderRecent(): void {
  const recent = app.kiosk?.recent ?? [];
  const key = JSON.stringify([app.lang, recent.map((b) => [b.bonId, b.state, standing(b).length])]);
  redraw($('[data-testid="recent-bons"]'), key, () => (recent.length ? recent.map(recentItem) : [h('li', { class: 'empty' }, t('recent.none'))]));
}

// ---- The whole page ----

function renderAll(): void {
  renderStatic();
  renderHeader();
  renderScales($('[data-testid="scales"]'));
  renderDesk($('[data-testid="desk"]'));
  renderRecent();
}

const lastSteps = new Map<string, string>();

/** A new state: a scale that now waits for its category becomes the target of the category buttons. */
function receive(state: KioskState): void {
  for (const s of state.scales) {
    if (s.step === 'awaiting-category' && lastSteps.get(s.id) !== 'awaiting-category') app.target = s.id;
    lastSteps.set(s.id, s.step);
  }
  app.kiosk = state;
  checkModal(state);
  renderAll();
}

// ---- Live stream ----

let retryMs = 1_000;

function connectStream(): void {
  const es = new EventSource('/api/v1/kiosk/stream');
  es.addEventListener('open', () => {
    app.stream = 'open';
    retryMs = 1_000;
    renderAll();
  });
  es.addEventListener('error', () => {
    app.stream = 'lost';
    renderAll();
    // The stream refused (too many screens?): show the counter as it is, at least once.
    if (!app.kiosk) void resync();
    // The browser retries by itself unless the agent answered with an error; then it is up to us.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      window.setTimeout(connectStream, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  });
  es.addEventListener('state', (e) => receive(JSON.parse(e.data) as KioskState));
  es.addEventListener('live', (e) => applyLive(JSON.parse(e.data) as KioskLiveEvent));
  es.addEventListener('notice', (e) => showAgentNotice(JSON.parse(e.data) as KioskNotice));
  window.addEventListener('beforeunload', () => es.close(), { once: true });
}

/** While the stream is down, the state is fetched every few seconds (the stream reconnects by itself). */
const RESYNC_MS = 5_000;

// ---- Start ----

function setLang(lang: 'fr' | 'en'): void {
  app.lang = lang;
  rememberLang(lang);
  renderAll();
  repaintModal();
}

$('[data-testid="lang-toggle"]').addEventListener('click', () => setLang(app.lang === 'fr' ? 'en' : 'fr'));
$('[data-testid="operator"]').addEventListener('click', openOperatorDialog);
onRedraw(renderAll);
onState(receive);
renderAll();
connectStream();
window.setInterval(() => {
  if (app.stream !== 'open') void resync();
}, RESYNC_MS);

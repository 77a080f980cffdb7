import type { KioskBon, KioskLine } from '../../kiosk-types.js';
import { act } from './actions.js';
import { api } from './api.js';
import { openBonEditor, openBonWizard } from './bon-forms.js';
import { button, h, redraw, setAttr, setText } from '../../../../web-kit/dom.js';
import { openKeypad } from './keypad.js';
import { confirmDialog } from './modal.js';
import { active, app, bonTotal, by, categoryColor, formatKg, hhmm, label, labelOf, linesText, rerender, scales, standing, t, targetScale } from './store.js';

/** How long « Bon n° N validé » stays after « Valider le bon ». */
const SUMMARY_MS = 8_000;

let summary: { bonId: string; number: number; kg: number; lines: number } | null = null;
let summaryTimer: number | undefined;

/** The parts of the open bon's view, updated in place as the state changes. */
let view: { head: HTMLElement; categoriesFor: HTMLElement; categories: HTMLElement; lines: HTMLElement } | null = null;

// ---- Actions ----

async function tapCategory(category: string): Promise<void> {
  const scale = targetScale();
  if (!scale) return;
  await act(`category-${scale.id}-${category}`, () => api.pickCategory(scale.id, { category, ...by() }), { scale: scale.id });
}

async function closeBon(bon: KioskBon): Promise<void> {
  const r = await act('close-bon', () => api.closeBon(bon.bonId, by()));
  if (!r?.ok) return;
  summary = { bonId: r.data.bonId, number: r.data.number, kg: bonTotal(r.data), lines: standing(r.data).length };
  window.clearTimeout(summaryTimer);
  summaryTimer = window.setTimeout(() => {
    summary = null;
    rerender();
  }, SUMMARY_MS);
  rerender();
}

function abandonBon(bon: KioskBon): void {
  const n = standing(bon).length;
  confirmDialog(
    t('bon.abandonConfirm'),
    n ? t('bon.abandonDetail', { lines: linesText(n) }) : '',
    () => void act('abandon-bon', () => api.abandonBon(bon.bonId, by())),
    (s) => s.bon?.bonId !== bon.bonId,
  );
}

function voidLine(bon: KioskBon, line: KioskLine): void {
  confirmDialog(
    t('line.voidConfirm'),
    `${labelOf('categories', line.weighing.category)} — ${formatKg(line.weighing.netKg)} kg`,
    () => void act(`void-${line.id}`, () => api.voidLine(bon.bonId, line.id, by()), { scale: line.scale }),
    (s) => s.bon?.bonId !== bon.bonId,
  );
}

// ---- No open bon ----

function renderNoBon(desk: HTMLElement): void {
  view = null;
  redraw(desk, JSON.stringify(['none', app.lang, summary?.bonId]), () => [
    ...(summary
      ? [
          h(
            'div',
            { class: 'bon-summary', 'data-testid': 'bon-summary', role: 'status' },
            h('span', { class: 'summary-icon', 'aria-hidden': 'true' }, '✓'),
            t('bon.summary', { number: summary.number, kg: formatKg(summary.kg), lines: linesText(summary.lines) }),
          ),
        ]
      : []),
    h(
      'div',
      { class: 'new-bon' },
      button({ class: 'btn btn-huge btn-in', 'data-testid': 'new-bon-in' }, [h('span', { class: 'btn-icon', 'aria-hidden': 'true' }, '↓'), t('newBonIn')], () => openBonWizard('in')),
      button({ class: 'btn btn-huge btn-out', 'data-testid': 'new-bon-out' }, [h('span', { class: 'btn-icon', 'aria-hidden': 'true' }, '↑'), t('newBonOut')], () => openBonWizard('out')),
    ),
  ]);
}

// ---- The open bon ----

function buildBon(bon: KioskBon): HTMLElement {
  const head = h('div', { class: 'bon-head' });
  const categoriesFor = h('span', { class: 'section-sub' });
  const categories = h('div', { class: 'categories', 'data-testid': 'categories' });
  const lines = h('div', { class: 'lines-wrap' });
  view = { head, categoriesFor, categories, lines };
  return h(
    'section',
    { class: `bon bon-${bon.direction}`, 'data-testid': 'bon', 'data-bon-id': bon.bonId },
    head,
    h('div', { class: 'section-head' }, h('h3', { class: 'section-title' }, t('categories.title')), categoriesFor),
    categories,
    lines,
    h(
      'div',
      { class: 'bon-actions' },
      button({ class: 'btn btn-big btn-secondary', 'data-testid': 'type-weight' }, [h('span', { class: 'btn-icon', 'aria-hidden': 'true' }, '⌨'), t('typed.open')], openKeypad),
      button({ class: 'btn btn-big btn-danger-outline', 'data-testid': 'bon-abandon' }, t('bon.abandon'), () => app.kiosk?.bon && abandonBon(app.kiosk.bon)),
      button({ class: 'btn btn-big btn-primary', 'data-testid': 'bon-close' }, [h('span', { class: 'btn-icon', 'aria-hidden': 'true' }, '✓'), t('bon.close')], () => {
        if (app.kiosk?.bon) void closeBon(app.kiosk.bon);
      }),
    ),
  );
}

function renderHead(head: HTMLElement, bon: KioskBon): void {
  const total = bonTotal(bon);
  const count = standing(bon).length;
  const key = JSON.stringify([app.lang, bon.number, bon.direction, bon.collectType, bon.destination, bon.partner, bon.district, bon.comment, total, count]);
  redraw(head, key, () => {
    const kind = bon.direction === 'in' ? labelOf('collectTypes', bon.collectType) : labelOf('destinations', bon.destination);
    const details = [
      bon.district ? t('bon.district', { district: labelOf('districts', bon.district) }) : '',
      bon.partner ? t('bon.partner', { partner: labelOf('partners', bon.partner) }) : '',
    ].filter(Boolean);
    return [
      h(
        'div',
        { class: 'bon-id' },
        h('span', { class: 'bon-direction' }, t(bon.direction === 'in' ? 'bon.in' : 'bon.out')),
        h('h2', { class: 'bon-number', 'data-testid': 'bon-number' }, t('bon.number', { number: bon.number })),
        button({ class: 'btn btn-secondary btn-edit', 'data-testid': 'bon-edit' }, t('bon.edit'), () => app.kiosk?.bon && openBonEditor(app.kiosk.bon)),
        h('p', { class: 'bon-kind' }, [kind, ...details].join(' · ')),
        ...(bon.comment ? [h('p', { class: 'bon-comment', 'data-testid': 'bon-comment-shown' }, t('bon.comment', { comment: bon.comment }))] : []),
      ),
      h(
        'div',
        { class: 'bon-total', 'data-testid': 'bon-total', 'data-kg': String(total) },
        h('span', { class: 'total-label' }, t('bon.total')),
        h('span', { class: 'total-value' }, formatKg(total), h('span', { class: 'unit' }, ' kg')),
        h('span', { class: 'total-lines' }, linesText(count)),
      ),
    ];
  });
}

function renderCategories(grid: HTMLElement, forScale: HTMLElement): void {
  const categories = active(app.kiosk?.taxonomy.categories ?? []);
  redraw(grid, JSON.stringify([app.lang, categories.map((c) => [c.id, c.label, c.color])]), () =>
    categories.map((c) => {
      const b = button({ class: 'btn btn-category', 'data-testid': `category-${c.id}`, 'data-armed': 'false' }, label(c.label, c.id), () => void tapCategory(c.id));
      b.style.setProperty('--cat', c.color);
      return b;
    }),
  );
  const target = targetScale();
  for (const b of grid.querySelectorAll<HTMLElement>('.btn-category')) {
    const armed = !!target?.armedCategory && b.dataset.testid === `category-${target.armedCategory}`;
    setAttr(b, 'data-armed', String(armed));
    setAttr(b, 'aria-pressed', String(armed));
  }
  setText(forScale, scales().length > 1 && target ? t('categories.forScale', { id: target.id }) : '');
}

function lineItem(bon: KioskBon, line: KioskLine, multiple: boolean): HTMLElement {
  const w = line.weighing;
  const meta: (Node | string)[] = [h('span', { class: 'line-time' }, hhmm(w.capturedAt))];
  if (w.source === 'manual') meta.push(h('span', { class: 'tag tag-manual' }, t('line.manual')));
  if (w.container) meta.push(h('span', { class: 'tag' }, t('line.tare', { label: labelOf('containers', w.container), kg: formatKg(w.tareKg ?? 0, 0, 3) })));
  if (multiple) meta.push(h('span', { class: 'tag' }, line.scale));
  if (line.voided) {
    const time = hhmm(line.voided.at);
    meta.push(h('span', { class: 'line-voided' }, line.voided.by ? t('line.voidedBy', { by: line.voided.by, time }) : t('line.voided', { time })));
  }
  const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  swatch.style.background = categoryColor(w.category);
  return h(
    'li',
    {
      class: `line${line.voided ? ' is-voided' : ''}`,
      'data-testid': 'line',
      'data-line-id': line.id,
      'data-kg': String(w.netKg),
      'data-category': w.category,
      'data-source': w.source,
      'data-voided': String(!!line.voided),
    },
    swatch,
    h('div', { class: 'line-main' }, h('span', { class: 'line-cat' }, labelOf('categories', w.category)), h('span', { class: 'line-meta' }, ...meta)),
    h('span', { class: 'line-kg' }, `${formatKg(w.netKg)} kg`),
    line.voided
      ? h('span', { class: 'line-void-placeholder' })
      : button({ class: 'btn btn-secondary btn-void', 'data-testid': 'line-void' }, t('line.void'), () => voidLine(bon, line)),
  );
}

function renderLines(wrap: HTMLElement, bon: KioskBon): void {
  const multiple = scales().length > 1;
  const key = JSON.stringify([app.lang, bon.bonId, multiple, bon.lines.map((l) => [l.id, l.voided?.voidId])]);
  redraw(wrap, key, () => {
    if (!bon.lines.length) return [h('p', { class: 'empty' }, t('bon.empty'))];
    // Newest first: the line just taken is where the eyes are.
    const items = [...bon.lines].reverse().map((l) => lineItem(bon, l, multiple));
    return [h('ol', { class: 'lines', 'data-testid': 'lines' }, ...items)];
  });
}

function renderOpenBon(desk: HTMLElement, bon: KioskBon): void {
  redraw(desk, JSON.stringify(['bon', bon.bonId, app.lang]), () => [buildBon(bon)]);
  if (!view) return;
  renderHead(view.head, bon);
  renderCategories(view.categories, view.categoriesFor);
  renderLines(view.lines, bon);
}

/** The middle of the screen: the open bon, or the buttons that open one. */
export function renderDesk(desk: HTMLElement): void {
  const bon = app.kiosk?.bon;
  // The answer to « Valider » may come before the stream's state: the bon it closed is not shown open again.
  if (bon && bon.bonId !== summary?.bonId) {
    summary = null;
    renderOpenBon(desk, bon);
  } else renderNoBon(desk);
}

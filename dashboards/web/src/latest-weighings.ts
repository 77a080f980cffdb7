import { h } from '../../../web-kit/dom.js';
import type { LatestWeighing } from '../../api/types.js';
import { scopeName, t, timeZoneOf } from './app.js';
import { clock, kg } from './format.js';
import { category } from './taxonomy-labels.js';

/**
 * The « dernières pesées » rows: time, category (with void and typed marks), kilograms, and the scale, after
 * its site's name for a network. Each time is its own site's clock, as its day is its own site's day.
 */
export function latestRows(rows: readonly LatestWeighing[], fresh: ReadonlySet<string>, network: boolean): HTMLTableRowElement[] {
  return rows.map((w) => {
    const { label, color } = category(w.category);
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = color;
    const cell = h('span', { class: 'cat-cell' }, swatch, label);
    if (w.entry === 'void') cell.append(h('span', { class: 'tag tag-void' }, t('void')));
    if (w.source === 'manual') cell.append(h('span', { class: 'tag' }, t('manual')));
    const classes = [w.entry === 'void' ? 'void' : '', fresh.has(w.id) ? 'fresh' : ''].filter(Boolean).join(' ');
    return h(
      'tr',
      { 'data-id': w.id, class: classes },
      h('td', { class: 'time' }, clock(new Date(w.capturedAt), timeZoneOf(w.site))),
      h('td', { class: 'cat' }, cell),
      h('td', { class: 'num kg' }, kg(w.netKg, 2)),
      ...(network ? [h('td', { class: 'site', title: scopeName(w.site) }, scopeName(w.site))] : []),
      h('td', { class: 'device' }, w.device),
    );
  });
}

export function latestTable(network: boolean): HTMLTableElement {
  const site = network ? [h('th', {}, t('col.site'))] : [];
  return h(
    'table',
    { class: 'latest', 'data-testid': 'latest-weighings' },
    h('thead', {}, h('tr', {}, h('th', {}, t('col.time')), h('th', {}, t('col.category')), h('th', { class: 'num' }, t('col.kg')), ...site, h('th', {}, t('col.scale')))),
    h('tbody'),
  );
}

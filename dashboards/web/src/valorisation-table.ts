import { h } from '../../../web-kit/dom.js';
import type { ValorisationByCategory } from '../../reports/report-types.js';
import { t } from './app.js';
import { percent } from './format.js';
import { category, destination } from './taxonomy-labels.js';

type Line = Omit<ValorisationByCategory, 'category'>;

export interface ValorisationTableOptions {
  testid: string;
  className?: string;
  destinations: readonly string[];
  byCategory: readonly ValorisationByCategory[];
  totals: Line;
  /** How an amount is written: kilograms on « Sorties », tonnes on the funder's « Bilan annuel ». */
  amount: (kg: number) => string;
  /** A bar drawing the rate in its own column, for reading on screen. */
  rateBar?: boolean;
}

function categoryName(id: string): HTMLElement {
  const { label, color } = category(id);
  const swatch = h('span', { class: 'swatch' });
  swatch.style.background = color;
  return h('span', { class: 'name-cell' }, swatch, label);
}

/** Collected, by destination, valorised and the rate, per category with a total row. */
export function valorisationTable(o: ValorisationTableOptions): HTMLTableElement {
  const row = (id: string, name: Node, line: Line, total = false) => {
    const cells = [
      h('th', { scope: 'row', class: 'name' }, name),
      h('td', { class: 'num' }, o.amount(line.collectedKg)),
      ...o.destinations.map((d) => h('td', { class: 'num' }, o.amount(line.byDestination[d] ?? 0))),
      h('td', { class: 'num strong' }, o.amount(line.valorisedKg)),
      h('td', { class: 'num strong rate' }, percent(line.rate)),
    ];
    if (o.rateBar) {
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${Math.min(100, Math.max(0, (line.rate ?? 0) * 100))}%`;
      cells.push(h('td', { class: 'bar-cell' }, h('span', { class: 'bar-track' }, fill)));
    }
    return h('tr', { 'data-id': id, class: total ? 'total' : '' }, ...cells);
  };
  const heads = [
    h('th', {}, t('col.category')),
    h('th', { class: 'num' }, t('col.collected')),
    ...o.destinations.map((d) => h('th', { class: 'num' }, destination(d).label)),
    h('th', { class: 'num' }, t('col.valorised')),
    h('th', { class: 'num' }, t('col.rate')),
    ...(o.rateBar ? [h('th', {}, '')] : []),
  ];
  return h(
    'table',
    { class: ['data-table', o.className].filter(Boolean).join(' '), 'data-testid': o.testid },
    h('thead', {}, h('tr', {}, ...heads)),
    h('tbody', {}, ...o.byCategory.map((c) => row(c.category, categoryName(c.category), c)), row('total', document.createTextNode(t('total')), o.totals, true)),
  );
}

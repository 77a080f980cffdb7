import { h } from '../../../web-kit/dom.js';
import { percent } from './format.js';

export interface BarRow {
  id: string;
  label: string;
  color: string;
  value: number;
  /** The value as shown: « 38,35 kg ». */
  text: string;
  /** Its share of the whole, shown as « 42 % » when given. */
  share?: number | null;
}

/**
 * Names, bars and figures in aligned columns: the share of each category, collect type or destination. The
 * figures are text, so they can be read, copied and found by the page's own search.
 */
export function barList(rows: BarRow[], testid: string): HTMLElement {
  const max = Math.max(...rows.map((r) => Math.abs(r.value)), Number.MIN_VALUE);
  return h(
    'ul',
    { class: 'bar-list', 'data-testid': testid },
    ...rows.map((r) => {
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${Math.max(0, (r.value / max) * 100)}%`;
      fill.style.background = r.color;
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = r.color;
      return h(
        'li',
        { 'data-id': r.id },
        h('span', { class: 'bar-name' }, swatch, r.label),
        h('span', { class: 'bar-track' }, fill),
        h('span', { class: 'bar-value' }, r.text),
        h('span', { class: 'bar-share' }, r.share === undefined ? '' : percent(r.share, 0)),
      );
    }),
  );
}

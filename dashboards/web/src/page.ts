import { h } from '../../../web-kit/dom.js';
import { t } from './app.js';
import type { MessageKey } from './i18n.js';

/** A page as shown: updated with the address's parameters, relabelled, left. */
export interface PageView {
  /** Shows the view the parameters describe (at mount, then at every change of the address). */
  update(params: URLSearchParams): void;
  /** Redraws in the language just chosen, from the figures already fetched. */
  relabel(): void;
  dispose(): void;
}

export interface PageOptions {
  /** Shown by the TV mode: big type, no controls, parameters from the rotation rather than the address. */
  tv: boolean;
}

export type PageFactory = (root: HTMLElement, options: PageOptions) => PageView;

/** A page of the app, as pages/index.ts lists it: its address `#/{id}`, its tab, and how to show it. */
export interface PageDefinition<Id extends string = string> {
  id: Id;
  /** The tab's title, and the window's. */
  titleKey: MessageKey;
  /** A page over a time range: going from one such page to another keeps the range. */
  ranged?: boolean;
  mount: PageFactory;
}

/** A card of a page: a title, what it shows, its CSV links, and its body. */
export function panel(opts: { title: string; sub?: string; testid?: string; className?: string; headingId?: string; actions?: Node[] }, ...body: Node[]): HTMLElement {
  return h(
    'section',
    { class: `card ${opts.className ?? ''}`.trim(), 'data-testid': opts.testid },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: opts.headingId }, opts.title),
      ...(opts.sub ? [h('span', { class: 'card-sub' }, opts.sub)] : []),
      ...(opts.actions?.length ? [h('span', { class: 'card-actions' }, ...opts.actions)] : []),
    ),
    ...body,
  );
}

/** What a view shows when its range holds nothing. */
export function emptyNote(): HTMLElement {
  return h('p', { class: 'empty-period', 'data-testid': 'empty' }, t('noData'));
}

/** A key figure: a big value, its unit, what it is, and an optional line under it. */
export function keyFigure(opts: { testid: string; value: string; unit?: string; label: string; note?: Node | string }): HTMLElement {
  return h(
    'div',
    { class: 'key-figure', 'data-testid': opts.testid },
    h('span', { class: 'key-value' }, h('span', { class: 'key-number' }, opts.value), ...(opts.unit ? [h('span', { class: 'key-unit' }, opts.unit)] : [])),
    h('span', { class: 'key-label' }, opts.label),
    ...(opts.note !== undefined ? [h('span', { class: 'key-note' }, opts.note)] : []),
  );
}

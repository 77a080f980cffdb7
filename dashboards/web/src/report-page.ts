import { h, redraw, setText } from '../../../web-kit/dom.js';
import type { Bucket, ReportName, ReportTypes } from '../../reports/report-types.js';
import { app, scopeName, t, timeZoneOf } from './app.js';
import { reportPath } from './api.js';
import { bucketPicker, isBucket } from './bucket-picker.js';
import { ChartSlots } from './chart.js';
import { contains, isDate, localDate, presetRange, type DateRange, type Preset } from './dates.js';
import { dateRange } from './format.js';
import type { MessageKey } from './i18n.js';
import { emptyNote, type PageDefinition, type PageFactory } from './page.js';
import { poll } from './poller.js';
import { rangePicker, type RangePicker } from './range-picker.js';
import { ReportLoader } from './report-loader.js';
import { replaceParams } from './router.js';
import { scopeParam, sitePicker } from './site-picker.js';

export interface ReportParams extends DateRange {
  bucket: Bucket;
  site: string;
}

export interface ReportContext {
  /** The URL of the report drawn (its CSV links add to it). */
  url: string;
  params: ReportParams;
  charts: ChartSlots;
  /** The scope's local date today. */
  today: string;
}

/** A page of figures over a time range: Collecte, Sorties et valorisation, Fréquentation. */
export interface ReportSpec<N extends ReportName> {
  /** The report drawn, and the page's address. */
  id: N;
  titleKey: MessageKey;
  /** The view shown when the address does not say. */
  defaults: { preset: Preset; bucket: Bucket };
  isEmpty(report: ReportTypes[N]): boolean;
  /** The page's cards for a report, built anew at each redraw (charts keep their instance in `charts`). */
  cards(report: ReportTypes[N], ctx: ReportContext): HTMLElement[];
}

/** Figures whose range includes today change as goods come in: fetched again this often. */
const LIVE_REFRESH_MS = 60_000;

export const scopeToday = (site: string): string => localDate(new Date(), timeZoneOf(site));

function reportParams(query: URLSearchParams, defaults: ReportSpec<ReportName>['defaults']): ReportParams {
  const site = scopeParam(query);
  const from = query.get('from');
  const to = query.get('to');
  const range = isDate(from) && isDate(to) && from <= to ? { from, to } : presetRange(defaults.preset, scopeToday(site));
  const bucket = query.get('bucket');
  return { ...range, bucket: isBucket(bucket) ? bucket : defaults.bucket, site };
}

/** The page's title, and what it shows: the range in words and the site. */
export function pageHead(title: string, what: string): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', {}, title), h('span', { class: 'page-what', 'data-testid': 'page-what' }, what));
}

export function reportPage<N extends ReportName>(spec: ReportSpec<N>): PageDefinition<N> {
  const mount: PageFactory = (root, options) => {
    const charts = new ChartSlots();
    let params: ReportParams | undefined;
    // The toolbar outlives redraws (see rangePicker); it is built again only for a new language.
    let toolbar: { el: HTMLElement; range: RangePicker; pickers: HTMLElement } | undefined;
    const head = pageHead('', '');
    const cards = h('div', { class: `cards cards-${spec.id}` });

    const buildToolbar = (p: ReportParams) => {
      const range = rangePicker(p, scopeToday(p.site), { withBucket: true });
      const pickers = h('span', { class: 'toolbar-pickers' });
      toolbar = { el: h('div', { class: 'toolbar' }, range.el, pickers), range, pickers };
    };
    const render = () => {
      if (!params) return;
      const today = scopeToday(params.site);
      setText(head.querySelector('h1')!, t(spec.titleKey));
      setText(head.querySelector('.page-what')!, `${dateRange(params.from, params.to)} · ${scopeName(params.site)}`);
      if (!options.tv) {
        if (!toolbar) buildToolbar(params);
        toolbar!.range.set(params, today);
        const { bucket, site } = params;
        redraw(toolbar!.pickers, `${app.lang}|${bucket}|${site}`, () => [bucketPicker(bucket), ...[sitePicker(site)].filter((x) => x !== undefined)]);
      }
      const report = loader.report;
      cards.replaceChildren(...(!report ? [] : spec.isEmpty(report.data) ? [emptyNote()] : spec.cards(report.data, { url: report.url, params, charts, today })));
      if (root.firstChild !== head) root.replaceChildren(head, ...(toolbar ? [toolbar.el] : []), cards);
    };
    const loader = new ReportLoader<ReportTypes[N]>(root, `page:${spec.id}`, render);
    const stopPolling = poll(() => {
      if (params && contains(params, scopeToday(params.site))) loader.refresh();
    }, LIVE_REFRESH_MS);

    return {
      update(query) {
        params = reportParams(query, spec.defaults);
        const { from, to, bucket, site } = params;
        if (!options.tv) replaceParams(new URLSearchParams({ from, to, bucket, site }));
        render();
        loader.show(reportPath(spec.id, { from, to, bucket, site }));
      },
      relabel() {
        toolbar = undefined;
        root.replaceChildren();
        render();
      },
      dispose() {
        stopPolling();
        loader.dispose();
        charts.dispose();
      },
    };
  };
  return { id: spec.id, titleKey: spec.titleKey, ranged: true, mount };
}

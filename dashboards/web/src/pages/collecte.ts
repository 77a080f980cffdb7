import { h } from '../../../../web-kit/dom.js';
import type { CollecteReport } from '../../../reports/report-types.js';
import { t } from '../app.js';
import { barList } from '../bar-list.js';
import { changeBadge } from '../comparison.js';
import { csvLink } from '../csv-link.js';
import { bucketLabel, dateRange, mass, number, percent } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { keyFigure, panel } from '../page.js';
import { reportPage, type ReportContext } from '../report-page.js';
import { stackedBarsOption } from '../stacked-bars.js';
import { category, collectTypeLabel, districtLabel } from '../taxonomy-labels.js';

const share = (kg: number, total: number) => (total > 0 ? kg / total : null);

function keyFigures(r: CollecteReport): HTMLElement {
  const compared = (testid: string, labelKey: MessageKey, other: { from: string; to: string; kg: number }) =>
    keyFigure({ testid, value: mass(other.kg), label: t(labelKey), note: h('span', {}, changeBadge(r.totals.kg, other.kg, `${testid}-change`), ' ', dateRange(other.from, other.to)) });
  return h(
    'div',
    { class: 'key-figures' },
    keyFigure({ testid: 'collecte-total', value: mass(r.totals.kg), label: t('collecte.total'), note: t('collecte.lines', { n: number(r.totals.lines) }) }),
    compared('collecte-previous', 'compare.previous', r.previous),
    compared('collecte-last-year', 'compare.lastYear', r.lastYear),
  );
}

function perBucket(r: CollecteReport, ctx: ReportContext): HTMLElement {
  const option = stackedBarsOption({
    labels: r.buckets.map((b) => bucketLabel(b.start, r.bucket)),
    longLabels: r.buckets.map((b) => bucketLabel(b.start, r.bucket, true)),
    stacks: r.categories.map((c) => ({ id: c, ...labelled(c), values: r.buckets.map((b) => b.byCategory[c] ?? 0) })),
    unit: 'kg',
    valueText: mass,
    highlight: r.bucket === 'day' ? r.buckets.findIndex((b) => b.start === ctx.today) : undefined,
  });
  return panel(
    { title: t(`collecte.per.${r.bucket}` as MessageKey), sub: t('collecte.byCategory'), className: 'wide', actions: [csvLink(ctx.url, 'periodes')] },
    ctx.charts.draw('collecte-periodes', option),
  );
}

function labelled(id: string): { name: string; color: string } {
  const { label, color } = category(id);
  return { name: label, color };
}

/** Top categories first, each against the previous period and last year. */
function categories(r: CollecteReport, ctx: ReportContext): HTMLElement {
  const rows = Object.entries(r.totals.byCategory).sort(([, a], [, b]) => b - a);
  const max = Math.max(...rows.map(([, kg]) => kg), Number.MIN_VALUE);
  const table = h(
    'table',
    { class: 'data-table', 'data-testid': 'collecte-categories' },
    h('thead', {}, h('tr', {}, ...['col.category', '', 'col.kg', 'col.share', 'compare.previousShort', 'compare.lastYearShort'].map((k, i) => h('th', { class: i >= 2 ? 'num' : '' }, k ? t(k as MessageKey) : '')))),
    h(
      'tbody',
      {},
      ...rows.map(([id, kg]) => {
        const { label, color } = category(id);
        const swatch = h('span', { class: 'swatch' });
        swatch.style.background = color;
        const fill = h('span', { class: 'bar-fill' });
        fill.style.width = `${Math.max(0, (kg / max) * 100)}%`;
        fill.style.background = color;
        return h(
          'tr',
          { 'data-id': id },
          h('td', {}, h('span', { class: 'name-cell' }, swatch, label)),
          h('td', { class: 'bar-cell' }, h('span', { class: 'bar-track' }, fill)),
          h('td', { class: 'num strong' }, mass(kg)),
          h('td', { class: 'num muted' }, percent(share(kg, r.totals.kg), 0)),
          h('td', { class: 'num' }, changeBadge(kg, r.previous.byCategory[id] ?? 0)),
          h('td', { class: 'num' }, changeBadge(kg, r.lastYear.byCategory[id] ?? 0)),
        );
      }),
    ),
  );
  return panel({ title: t('collecte.top'), className: 'wide tv-hidden', actions: [csvLink(ctx.url, 'categories')] }, h('div', { class: 'table-scroll' }, table));
}

function split(ctx: ReportContext, title: MessageKey, table: string, byId: Record<string, number>, label: (id: string) => string, total: number): HTMLElement {
  const rows = Object.entries(byId)
    .sort(([, a], [, b]) => b - a)
    .map(([id, kg], i) => ({ id, label: label(id), color: SPLIT_COLORS[i % SPLIT_COLORS.length]!, value: kg, text: mass(kg), share: share(kg, total) }));
  return panel({ title: t(title), className: 'tv-hidden', actions: [csvLink(ctx.url, table)] }, barList(rows, `collecte-${table}`));
}

/** Collect types and districts have no colour of their own: one calm palette for both splits. */
const SPLIT_COLORS = ['#0f4c5c', '#5b8e7d', '#9c6644', '#6d597a', '#b56576', '#4c6a92'];

/** Collecte: kilograms per bucket and category, splits by collect type and district, comparisons. */
export const collectePage = reportPage({
  id: 'collecte',
  titleKey: 'page.collecte',
  defaults: { preset: 'month', bucket: 'day' },
  isEmpty: (r) => r.totals.lines === 0 && r.totals.kg === 0,
  cards: (r, ctx) => [
    keyFigures(r),
    perBucket(r, ctx),
    categories(r, ctx),
    split(ctx, 'collecte.collectTypes', 'types-de-collecte', r.byCollectType, collectTypeLabel, r.totals.kg),
    split(ctx, 'collecte.districts', 'provenances', r.byDistrict, districtLabel, r.totals.kg),
  ],
});

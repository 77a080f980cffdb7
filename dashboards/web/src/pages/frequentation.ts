import { h } from '../../../../web-kit/dom.js';
import type { FrequentationReport } from '../../../reports/report-types.js';
import { t } from '../app.js';
import { barList } from '../bar-list.js';
import { changeBadge } from '../comparison.js';
import { csvLink } from '../csv-link.js';
import { weekdayOf } from '../dates.js';
import { bucketLabel, dateRange, mass, number, weekdayName } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { keyFigure, panel } from '../page.js';
import { reportPage, type ReportContext } from '../report-page.js';
import { stackedBarsOption } from '../stacked-bars.js';
import { heatmapOption, heatmapTable } from '../week-heatmap.js';

const VISITORS_COLOR = '#0f4c5c';
const LAST_YEAR_COLOR = '#b08d57';

/** The weekday and hour with the most visitors over the range. */
function busiest(r: FrequentationReport): { weekday: number; hour: number; visitors: number } | undefined {
  let best: { weekday: number; hour: number; visitors: number } | undefined;
  r.heatmap.forEach((hours, weekday) =>
    hours.forEach((visitors, hour) => {
      if (visitors > (best?.visitors ?? 0)) best = { weekday, hour, visitors };
    }),
  );
  return best;
}

function keyFigures(r: FrequentationReport): HTMLElement {
  const peak = busiest(r);
  return h(
    'div',
    { class: 'key-figures' },
    keyFigure({ testid: 'frequentation-visitors', value: number(r.totals.visitors), label: t('frequentation.visitors') }),
    keyFigure({
      testid: 'frequentation-last-year',
      value: number(r.lastYear.visitors),
      label: t('compare.lastYear'),
      note: h('span', {}, changeBadge(r.totals.visitors, r.lastYear.visitors, 'frequentation-last-year-change'), ' ', dateRange(r.lastYear.from, r.lastYear.to)),
    }),
    keyFigure({
      testid: 'frequentation-kg-per-visitor',
      value: r.totals.kgPerVisitor === null ? '—' : mass(r.totals.kgPerVisitor),
      label: t('frequentation.kgPerVisitor'),
      note: t('frequentation.collected', { kg: mass(r.totals.collectedKg) }),
    }),
    keyFigure({
      testid: 'frequentation-peak',
      value: peak ? `${weekdayName(peak.weekday)} ${peak.hour}\u00a0h` : '—',
      label: t('frequentation.peak'),
      note: peak ? t('frequentation.visitorsCount', { n: number(peak.visitors) }) : '',
    }),
  );
}

/** Visitors per bucket against last year's; within one day, per hour (the heatmap's row of that day). */
function perBucket(r: FrequentationReport, ctx: ReportContext): HTMLElement {
  const oneDay = r.from === r.to;
  const hours = r.heatmap[weekdayOf(r.from)] ?? [];
  const option = oneDay
    ? stackedBarsOption({
        labels: hours.map((_, hour) => `${hour}\u00a0h`),
        longLabels: hours.map((_, hour) => `${hour}\u00a0h – ${hour + 1}\u00a0h`),
        stacks: [{ id: 'visitors', name: t('frequentation.visitors'), color: VISITORS_COLOR, values: hours }],
        unit: t('unit.visitors'),
        valueText: (v) => number(v),
      })
    : stackedBarsOption({
        labels: r.buckets.map((b) => bucketLabel(b.start, r.bucket)),
        longLabels: r.buckets.map((b) => bucketLabel(b.start, r.bucket, true)),
        stacks: [{ id: 'visitors', name: t('frequentation.thisPeriod'), color: VISITORS_COLOR, values: r.buckets.map((b) => b.visitors) }],
        line: { name: t('compare.lastYear'), color: LAST_YEAR_COLOR, values: r.buckets.map((_, i) => r.lastYear.buckets[i]?.visitors ?? null) },
        unit: t('unit.visitors'),
        valueText: (v) => number(v),
        highlight: r.bucket === 'day' ? r.buckets.findIndex((b) => b.start === ctx.today) : undefined,
      });
  const title = oneDay ? t('frequentation.perHour') : t(`frequentation.per.${r.bucket}` as MessageKey);
  return panel({ title, className: 'wide', actions: [csvLink(ctx.url, oneDay ? 'heures' : 'periodes')] }, ctx.charts.draw('frequentation-periodes', option));
}

function heatmap(r: FrequentationReport, ctx: ReportContext): HTMLElement {
  return panel(
    { title: t('frequentation.heatmap'), sub: t('frequentation.heatmapSub'), className: 'wide tv-hidden', actions: [csvLink(ctx.url, 'heures')] },
    ctx.charts.draw('frequentation-heures', heatmapOption(r.heatmap), { className: 'chart chart-heatmap' }),
    heatmapTable(r.heatmap),
  );
}

function byWeekday(r: FrequentationReport, ctx: ReportContext): HTMLElement {
  const rows = r.byWeekday.map((w) => ({
    id: String(w.weekday),
    label: weekdayName(w.weekday),
    color: VISITORS_COLOR,
    value: w.average,
    text: t('frequentation.perDay', { n: number(w.average, 0, 1) }),
  }));
  return panel({ title: t('frequentation.weekdays'), sub: t('frequentation.weekdaysSub'), className: 'wide tv-hidden', actions: [csvLink(ctx.url, 'jours-de-semaine')] }, barList(rows, 'frequentation-weekdays'));
}

/** Fréquentation: visitors per bucket against last year, by hour and weekday, and kilograms per visitor. */
export const frequentationPage = reportPage({
  id: 'frequentation',
  titleKey: 'page.frequentation',
  defaults: { preset: 'month', bucket: 'day' },
  isEmpty: (r) => r.totals.visitors === 0 && r.totals.exits === 0,
  cards: (r, ctx) => [keyFigures(r), perBucket(r, ctx), heatmap(r, ctx), byWeekday(r, ctx)],
});

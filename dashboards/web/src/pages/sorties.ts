import { h } from '../../../../web-kit/dom.js';
import type { SortiesReport } from '../../../reports/report-types.js';
import { t } from '../app.js';
import { barList } from '../bar-list.js';
import { csvLink } from '../csv-link.js';
import { bucketLabel, mass, percent } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { keyFigure, panel } from '../page.js';
import { reportPage, type ReportContext } from '../report-page.js';
import { stackedBarsOption } from '../stacked-bars.js';
import { destination, partnerLabel } from '../taxonomy-labels.js';
import { valorisationTable } from '../valorisation-table.js';

function keyFigures(r: SortiesReport): HTMLElement {
  const v = r.valorisation;
  return h(
    'div',
    { class: 'key-figures' },
    keyFigure({ testid: 'sorties-rate', value: percent(v.rate), label: t('sorties.rate'), note: t('sorties.rateNote') }),
    keyFigure({ testid: 'sorties-out', value: mass(v.outKg), label: t('sorties.out') }),
    keyFigure({ testid: 'sorties-valorised', value: mass(v.valorisedKg), label: t('sorties.valorised') }),
    keyFigure({ testid: 'sorties-collected', value: mass(v.collectedKg), label: t('sorties.collected') }),
  );
}

function perBucket(r: SortiesReport, ctx: ReportContext): HTMLElement {
  const option = stackedBarsOption({
    labels: r.buckets.map((b) => bucketLabel(b.start, r.bucket)),
    longLabels: r.buckets.map((b) => bucketLabel(b.start, r.bucket, true)),
    stacks: r.destinations.map((d) => {
      const { label, color } = destination(d);
      return { id: d, name: label, color, values: r.buckets.map((b) => b.byDestination[d] ?? 0) };
    }),
    unit: 'kg',
    valueText: mass,
    highlight: r.bucket === 'day' ? r.buckets.findIndex((b) => b.start === ctx.today) : undefined,
  });
  return panel(
    { title: t(`sorties.per.${r.bucket}` as MessageKey), sub: t('sorties.byDestination'), className: 'wide', actions: [csvLink(ctx.url, 'periodes')] },
    ctx.charts.draw('sorties-periodes', option),
  );
}

function byDestination(r: SortiesReport): HTMLElement {
  const total = Object.values(r.byDestination).reduce((a, b) => a + b, 0);
  const rows = r.destinations.map((d) => {
    const kg = r.byDestination[d] ?? 0;
    return { id: d, ...destination(d), value: kg, text: mass(kg), share: total > 0 ? kg / total : null };
  });
  return panel({ title: t('sorties.destinations') }, barList(rows, 'sorties-destinations'));
}

function byPartner(r: SortiesReport, ctx: ReportContext): HTMLElement {
  const rows = r.byPartner.map((p) => ({
    id: `${p.destination}/${p.partner}`,
    label: p.partner ? `${partnerLabel(p.partner)} · ${destination(p.destination).label}` : destination(p.destination).label,
    color: destination(p.destination).color,
    value: p.kg,
    text: mass(p.kg),
  }));
  return panel({ title: t('sorties.partners'), actions: [csvLink(ctx.url, 'filieres')] }, barList(rows, 'sorties-partners'));
}

/** The valorisation rate per category: a table, with the rate drawn as a bar in its cell. */
function valorisation(r: SortiesReport, ctx: ReportContext): HTMLElement {
  const { byCategory, ...totals } = r.valorisation;
  const table = valorisationTable({ testid: 'sorties-valorisation', destinations: r.destinations, byCategory, totals, amount: mass, rateBar: true });
  return panel({ title: t('sorties.valorisation'), sub: t('sorties.rateNote'), className: 'wide', actions: [csvLink(ctx.url, 'valorisation')] }, h('div', { class: 'table-scroll' }, table));
}

/** Sorties et valorisation: where the goods went, by destination and filière, and the valorisation rate. */
export const sortiesPage = reportPage({
  id: 'sorties',
  titleKey: 'page.sorties',
  defaults: { preset: 'year', bucket: 'month' },
  isEmpty: (r) => r.destinations.length === 0 && r.valorisation.collectedKg === 0,
  cards: (r, ctx) => [keyFigures(r), perBucket(r, ctx), byDestination(r), byPartner(r, ctx), valorisation(r, ctx)],
});

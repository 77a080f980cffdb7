import { h } from '../../../../web-kit/dom.js';
import type { BilanReport } from '../../../reports/report-types.js';
import { scopeName, t } from '../app.js';
import { reportPath } from '../api.js';
import { csvLink } from '../csv-link.js';
import { mass, number, percent } from '../format.js';
import { emptyNote, keyFigure, panel, type PageDefinition, type PageFactory } from '../page.js';
import { ReportLoader } from '../report-loader.js';
import { pageHead, scopeToday } from '../report-page.js';
import { replaceParams, setParams } from '../router.js';
import { scopeParam, sitePicker } from '../site-picker.js';
import { collectTypeLabel } from '../taxonomy-labels.js';
import { valorisationTable } from '../valorisation-table.js';

/** The collect type of home pick-ups, which funders ask about apart. */
const HOME_PICKUP = 'collecte-domicile';
const YEARS_OFFERED = 10;

/** Tonnes to the kilogram, as a funder's questionnaire asks: « 12,345 ». */
const tonnes = (kg: number) => number(kg / 1000, 3, 3);

function yearPicker(year: number, current: number): HTMLElement {
  const select = h('select', { 'data-testid': 'year-picker', 'aria-label': t('bilan.year') }, ...Array.from({ length: YEARS_OFFERED }, (_, i) => h('option', { value: String(current - i) }, String(current - i))));
  if (year > current || year <= current - YEARS_OFFERED) select.append(h('option', { value: String(year) }, String(year)));
  select.value = String(year);
  select.addEventListener('change', () => setParams({ year: select.value }));
  return h('label', { class: 'year-picker' }, h('span', { class: 'toolbar-label' }, t('bilan.year')), select);
}

function keyFigures(r: BilanReport): HTMLElement {
  const home = r.collectTypes.find((c) => c.collectType === HOME_PICKUP);
  return h(
    'div',
    { class: 'key-figures bilan-figures' },
    keyFigure({ testid: 'bilan-collected', value: mass(r.totals.collectedKg), label: t('bilan.collected') }),
    keyFigure({ testid: 'bilan-rate', value: percent(r.totals.rate), label: t('sorties.rate'), note: t('bilan.valorised', { kg: mass(r.totals.valorisedKg) }) }),
    keyFigure({ testid: 'bilan-customers', value: number(r.customers), label: t('bilan.customers') }),
    keyFigure({ testid: 'bilan-bons', value: number(r.bons.in), label: t('bilan.bonsIn'), note: t('bilan.bonsOut', { n: number(r.bons.out) }) }),
    keyFigure({ testid: 'bilan-home', value: number(home?.bons ?? 0), label: t('bilan.homePickups'), note: mass(home?.kg ?? 0) }),
  );
}

/** Tonnes by category and destination, and the valorisation rate: the funder's table. */
function table(r: BilanReport, url: string): HTMLElement {
  return panel(
    { title: t('bilan.table'), sub: t('bilan.tableUnit'), className: 'wide', actions: [csvLink(url, 'bilan')] },
    h('div', { class: 'table-scroll' }, valorisationTable({ testid: 'bilan-table', className: 'bilan-table', destinations: r.destinations, byCategory: r.categories, totals: r.totals, amount: tonnes })),
  );
}

function collectTypes(r: BilanReport, url: string): HTMLElement {
  return panel(
    { title: t('bilan.collectTypes'), actions: [csvLink(url, 'collectes')] },
    h(
      'table',
      { class: 'data-table', 'data-testid': 'bilan-collect-types' },
      h('thead', {}, h('tr', {}, h('th', {}, t('col.collectType')), h('th', { class: 'num' }, t('col.bons')), h('th', { class: 'num' }, t('col.kg')))),
      h(
        'tbody',
        {},
        ...r.collectTypes.map((c) => h('tr', { 'data-id': c.collectType }, h('th', { scope: 'row' }, collectTypeLabel(c.collectType)), h('td', { class: 'num' }, number(c.bons)), h('td', { class: 'num' }, mass(c.kg)))),
      ),
    ),
  );
}

const isEmpty = (r: BilanReport) => r.totals.collectedKg === 0 && r.totals.outKg === 0 && r.customers === 0 && r.bons.in + r.bons.out + r.bons.abandoned === 0;

/** Bilan annuel: the funder's yearly figures for one site or the network, printable and downloadable. */
const mount: PageFactory = (root, options) => {
  let view: { year: number; site: string } | undefined;

  const render = () => {
    if (!view) return;
    const current = Number(scopeToday(view.site).slice(0, 4));
    const print = h('button', { type: 'button', class: 'button', 'data-testid': 'print' }, t('bilan.print'));
    print.addEventListener('click', () => window.print());
    const report = loader.report;
    const summary = report ? [csvLink(report.url, 'resume', t('bilan.summaryCsv'))] : [];
    const toolbar = options.tv ? [] : [h('div', { class: 'toolbar' }, yearPicker(view.year, current), ...[sitePicker(view.site)].filter((x) => x !== undefined), print, ...summary)];
    const body = !report ? [] : isEmpty(report.data) ? [emptyNote()] : [keyFigures(report.data), table(report.data, report.url), collectTypes(report.data, report.url)];
    root.replaceChildren(pageHead(t('bilan.title', { year: String(view.year) }), scopeName(view.site)), ...toolbar, h('div', { class: 'cards cards-bilan' }, ...body));
  };
  const loader = new ReportLoader<BilanReport>(root, 'page:bilan', render);

  return {
    update(query) {
      const site = scopeParam(query);
      const asked = Number(query.get('year'));
      const year = Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : Number(scopeToday(site).slice(0, 4));
      view = { year, site };
      if (!options.tv) replaceParams(new URLSearchParams({ year: String(year), site }));
      render();
      loader.show(reportPath('bilan', { year: String(year), site }));
    },
    relabel: render,
    dispose: () => loader.dispose(),
  };
};

export const bilanPage: PageDefinition<'bilan'> = { id: 'bilan', titleKey: 'page.bilan', mount };

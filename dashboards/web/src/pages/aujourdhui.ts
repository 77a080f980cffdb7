import { h } from '../../../../web-kit/dom.js';
import type { LatestWeighing, WeighingEvent } from '../../../api/types.js';
import type { CollecteReport, DevicesReport, TodayReport } from '../../../reports/report-types.js';
import { scopeName, sitesOf, t, timeZoneOf } from '../app.js';
import { getJson, reportPath } from '../api.js';
import { agentsSummary } from '../agents-summary.js';
import { barList } from '../bar-list.js';
import { ChartSlots } from '../chart.js';
import { addDays, localDate } from '../dates.js';
import { clearProblems, reportProblem } from '../error-banner.js';
import { bucketLabel, mass, massParts, number } from '../format.js';
import { latestRows, latestTable } from '../latest-weighings.js';
import { LiveScales } from '../live-scales.js';
import { onLive } from '../live-stream.js';
import { keyFigure, panel, type PageDefinition, type PageFactory } from '../page.js';
import { PendingWeighings } from '../pending-weighings.js';
import { poll } from '../poller.js';
import { pageHead } from '../report-page.js';
import { replaceParams } from '../router.js';
import { scopeParam, sitePicker } from '../site-picker.js';
import { stackedBarsOption } from '../stacked-bars.js';
import { byCategoryOrder, category } from '../taxonomy-labels.js';

const CHART_DAYS = 30;
const LATEST_ROWS = 20;
/** Visitors come in without a stream event: their figures are fetched this often. */
const REFRESH_MS = 30_000;
/** The time ingest takes to store a streamed weighing, before the stored figures are asked for again. */
const AFTER_WEIGHING_MS = 1_500;
const FRESH_MS = 4_000;

interface Stored {
  today: TodayReport;
  daily: CollecteReport;
  latest: LatestWeighing[];
  devices: DevicesReport;
}

/** Aujourd'hui: live weights, today's kilograms, bons and visitors, the last 30 days, devices; all live. */
const mount: PageFactory = (root, options) => {
  const source = 'page:aujourdhui';
  const charts = new ChartSlots();
  const pending = new PendingWeighings();
  const fresh = new Set<string>();
  let scope = '';
  let stored: Stored | undefined;
  let soon: number | undefined;
  let refreshing: Promise<void> | undefined;
  let again = false;

  const scales = new LiveScales(h('div', { class: 'scales', 'data-testid': 'live-scales', 'aria-live': 'polite' }));
  const totalValue = h('span', { 'data-testid': 'today-total' }, '—');
  const totalLabel = h('span', { class: 'today-total-label' });
  const byCategory = h('div', { class: 'today-categories' });
  const figures = h('div', { class: 'key-figures today-figures' });
  const chartHolder = h('div', { class: 'chart-holder' });
  const table = h('div', { class: 'latest-scroll' });
  const agents = h('div', { class: 'agents-holder' });

  const timeZone = () => timeZoneOf(scope);
  const today = () => localDate(new Date(), timeZone());

  const renderToday = () => {
    const grams = new Map<string, number>();
    for (const [c, kg] of Object.entries(stored?.today.byCategory ?? {})) grams.set(c, Math.round(kg * 1000));
    for (const [c, kg] of pending.byDay(timeZoneOf).get(today()) ?? []) grams.set(c, (grams.get(c) ?? 0) + Math.round(kg * 1000));
    const rows = [...grams].filter(([, g]) => g !== 0).sort(([a], [b]) => byCategoryOrder(a, b));
    const total = rows.reduce((sum, [, g]) => sum + g, 0) / 1000;
    const { value, unit } = massParts(total);
    totalValue.textContent = stored || rows.length ? value : '—';
    totalLabel.textContent = t(unit === 't' ? 'todayTotalT' : 'todayTotal');
    byCategory.replaceChildren(
      rows.length === 0
        ? h('p', { class: 'empty' }, t('noWeighingToday'))
        : barList(
            rows.map(([id, g]) => ({ id, ...category(id), value: g / 1000, text: mass(g / 1000), share: total > 0 ? g / 1000 / total : null })),
            'today-by-category',
          ),
    );
    const s = stored?.today;
    figures.replaceChildren(
      keyFigure({ testid: 'today-bons', value: s ? number(s.bons.count) : '—', label: t('today.bons') }),
      keyFigure({ testid: 'today-bon-average', value: s?.bons.avgKg != null ? mass(s.bons.avgKg) : '—', label: t('today.bonAverage') }),
      keyFigure({ testid: 'today-visitors', value: s ? number(s.visitors.in) : '—', label: t('today.visitors') }),
      keyFigure({ testid: 'today-occupancy', value: s ? number(s.visitors.occupancy) : '—', label: t('today.occupancy') }),
    );
  };

  const renderChart = () => {
    if (!stored) return;
    const { daily } = stored;
    const extra = pending.byDay(timeZoneOf);
    const date = today();
    const ids = [...new Set([...daily.categories, ...[...extra.values()].flatMap((d) => [...d.keys()])])].sort(byCategoryOrder);
    const kgOf = (start: string, c: string, storedKg: number) => Math.round((storedKg + (extra.get(start)?.get(c) ?? 0)) * 100) / 100;
    const last = daily.buckets.length - 1;
    const option = stackedBarsOption({
      labels: daily.buckets.map((b) => (b.start === date ? t('page.aujourdhui') : bucketLabel(b.start, 'day'))),
      longLabels: daily.buckets.map((b) => bucketLabel(b.start, 'day', true)),
      stacks: ids.map((c) => {
        const { label, color } = category(c);
        return { id: c, name: label, color, values: daily.buckets.map((b) => kgOf(b.start, c, b.byCategory[c] ?? 0)) };
      }),
      unit: 'kg',
      valueText: mass,
      highlight: daily.buckets.findIndex((b) => b.start === date),
      // One label a week, on today's weekday, so that today is always named.
      labelInterval: (index) => (last - index) % 7 === 0,
    });
    chartHolder.replaceChildren(charts.draw('daily', option, { testid: 'daily-chart' }));
  };

  const renderLatest = () => {
    const rows = pending.latest(stored?.latest ?? [], timeZoneOf, LATEST_ROWS);
    const network = sitesOf(scope).length > 1;
    const tbl = latestTable(network);
    tbl.tBodies[0]!.replaceChildren(...latestRows(rows, fresh, network));
    table.replaceChildren(tbl, ...(rows.length ? [] : [h('p', { class: 'empty', 'data-testid': 'latest-empty' }, t('noWeighingToday'))]));
  };

  const renderAgents = () => agents.replaceChildren(stored ? agentsSummary(stored.devices.agents) : '');

  const layout = () => {
    const toolbar = options.tv ? [] : [sitePicker(scope)].filter((x) => x !== undefined).map((picker) => h('div', { class: 'toolbar' }, picker));
    root.replaceChildren(
      pageHead(t('page.aujourdhui'), scopeName(scope)),
      ...toolbar,
      h(
        'div',
        { class: 'grid today-grid' },
        panel({ title: t('liveTitle'), className: 'live-card', headingId: 'live-title' }, scales.el),
        panel(
          { title: t('todayTitle'), className: 'today-card' },
          h('div', { class: 'today-body' }, h('div', { class: 'today-total' }, h('span', { class: 'today-total-value' }, totalValue), totalLabel), byCategory),
          figures,
        ),
        panel({ title: t('dailyTitle'), sub: t('dailySubtitle'), className: 'chart-card' }, chartHolder),
        panel({ title: t('latestTitle'), className: 'latest-card' }, table),
        panel({ title: t('devices.title'), className: 'agents-card tv-hidden' }, agents),
      ),
    );
    scales.render(sitesOf(scope));
    renderToday();
    renderChart();
    renderLatest();
    renderAgents();
  };

  const doRefresh = async () => {
    const date = today();
    const shown = scope;
    try {
      const [todayReport, daily, latest, devices] = await Promise.all([
        getJson<TodayReport>(reportPath('today', { site: shown })),
        getJson<CollecteReport>(reportPath('collecte', { from: addDays(date, 1 - CHART_DAYS), to: date, bucket: 'day', site: shown })),
        getJson<{ weighings: LatestWeighing[] }>(`/api/v1/weighings/latest?${new URLSearchParams({ site: shown, limit: '50' })}`),
        getJson<DevicesReport>(`/api/v1/devices?${new URLSearchParams({ site: shown })}`),
      ]);
      if (shown !== scope) return;
      stored = { today: todayReport, daily, latest: latest.weighings, devices };
      reportProblem(source, undefined);
      // Weighings the stream brought that ingest has not stored yet: ask again shortly.
      if (pending.reconcile(latest.weighings)) refreshSoon(3 * AFTER_WEIGHING_MS);
    } catch (err) {
      reportProblem(source, (err as Error).message);
    }
    renderToday();
    renderChart();
    renderLatest();
    renderAgents();
  };

  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    return (refreshing = doRefresh().finally(() => {
      refreshing = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    }));
  };

  function refreshSoon(ms = AFTER_WEIGHING_MS) {
    window.clearTimeout(soon);
    soon = window.setTimeout(() => void refresh(), ms);
  }

  const onWeighing = (w: WeighingEvent) => {
    if (!sitesOf(scope).includes(w.site) || !pending.add(w, stored?.latest ?? [])) return;
    fresh.add(w.id);
    window.setTimeout(() => fresh.delete(w.id), FRESH_MS);
    renderToday();
    renderChart();
    renderLatest();
    refreshSoon();
  };

  const stopLive = onLive({
    changed: () => {
      scales.render(sitesOf(scope));
      renderAgents();
    },
    weighing: onWeighing,
    reconnected: () => void refresh(),
  });
  const stopPolling = poll(() => void refresh(), REFRESH_MS);

  return {
    update(query) {
      const next = scopeParam(query);
      if (!options.tv) replaceParams(new URLSearchParams({ site: next }));
      if (next === scope && root.childElementCount > 0) return;
      scope = next;
      stored = undefined;
      layout();
      void refresh();
    },
    relabel: layout,
    dispose() {
      stopLive();
      stopPolling();
      window.clearTimeout(soon);
      scope = '';
      charts.dispose();
      clearProblems(source);
    },
  };
};

export const aujourdhuiPage: PageDefinition<'aujourdhui'> = { id: 'aujourdhui', titleKey: 'page.aujourdhui', mount };

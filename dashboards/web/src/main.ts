import { BarChart, type BarSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { ScaleState } from '../../../protocol/messages.js';
import type { DailyWeighings, LatestWeighing, LiveEvent, SiteInfo, StatusEvent, TodayWeighings, WeighingEvent } from '../../api/types.js';
import { initialLang, localeOf, rememberLang, translate, type Lang, type MessageKey } from './i18n.js';
import { sessionEnded, signIn, type SignedInUser } from './login.js';

use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
type ChartOption = ComposeOption<BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

// What the server sends is typed in dashboards/api/types.ts; validated there, so trusted here.

type LinkState = 'connecting' | 'live' | 'brokerDown' | 'offline';

const REFRESH_MS = 60_000;
const CHART_DAYS = 30;
const LATEST_ROWS = 20;
/** A streamed weighing not seen in the stored list after this long is assumed stored and counted by the totals. */
const PENDING_TTL_MS = 5 * 60_000;
/** Canvas text does not inherit CSS fonts: the same stack as style.css. */
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const FALLBACK_COLORS = ['#4c6a92', '#9c6644', '#5b8e7d', '#b56576', '#6d597a'];

const state = {
  lang: initialLang(),
  /** Nothing is fetched before someone is signed in. */
  user: undefined as SignedInUser | undefined,
  site: undefined as SiteInfo | undefined,
  streamOpen: false,
  everOpened: false,
  mqtt: false,
  scales: new Map<string, LiveEvent>(),
  agents: new Map<string, StatusEvent>(),
  today: undefined as TodayWeighings | undefined,
  daily: undefined as DailyWeighings | undefined,
  latest: [] as LatestWeighing[],
  /** Weighings seen on the stream but not yet in a stored result: added on top of the stored totals. */
  pending: new Map<string, { w: WeighingEvent; receivedAt: number }>(),
  fresh: new Set<string>(),
  error: undefined as string | undefined,
  updatedAt: undefined as Date | undefined,
};

// ---- Small helpers ----

function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

const t = (key: MessageKey, vars?: Record<string, string>) => translate(state.lang, key, vars);

function formatKg(kg: number, decimals: number): string {
  return new Intl.NumberFormat(localeOf(state.lang), { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(kg);
}

function timeZone(): string {
  return state.site?.timeZone ?? 'Europe/Paris';
}

/** The site's local calendar day of an instant, YYYY-MM-DD. */
function localDate(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone(), year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function localTime(at: Date, withSeconds = false): string {
  return new Intl.DateTimeFormat(localeOf(state.lang), {
    timeZone: timeZone(),
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  }).format(at);
}

function categoryOf(id: string): { label: string; color: string } {
  const categories = state.site?.categories ?? [];
  const found = categories.find((c) => c.id === id);
  if (found) return { label: found.label[state.lang], color: found.color };
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return { label: id, color: FALLBACK_COLORS[hash % FALLBACK_COLORS.length] ?? '#777' };
}

function byTaxonomy(a: string, b: string): number {
  const order = (id: string) => {
    const i = state.site?.categories.findIndex((c) => c.id === id) ?? -1;
    return i < 0 ? Infinity : i;
  };
  return order(a) === order(b) ? a.localeCompare(b) : order(a) - order(b);
}

async function fetchJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (res.status === 401) sessionEnded();
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { message?: string };
      if (body.message) detail = body.message;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new Error(detail);
  }
  return (await res.json()) as T;
}

// ---- Data: stored figures plus what the stream brought since ----

/** kg per category that streamed weighings add to a local day, on top of what InfluxDB returned. */
function pendingByDay(): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const { w } of state.pending.values()) {
    if (w.direction !== 'in') continue;
    const date = localDate(new Date(w.capturedAt));
    const day = out.get(date) ?? new Map<string, number>();
    day.set(w.category, (day.get(w.category) ?? 0) + w.netKg);
    out.set(date, day);
  }
  return out;
}

function todayFigures(): { total: number; byCategory: [string, number][] } {
  const grams = new Map<string, number>();
  for (const [c, kg] of Object.entries(state.today?.byCategory ?? {})) grams.set(c, Math.round(kg * 1000));
  const today = state.today?.date ?? localDate(new Date());
  for (const [c, kg] of pendingByDay().get(today) ?? []) grams.set(c, (grams.get(c) ?? 0) + Math.round(kg * 1000));
  const byCategory = [...grams].filter(([, g]) => g !== 0).sort(([a], [b]) => byTaxonomy(a, b));
  const total = byCategory.reduce((sum, [, g]) => sum + g, 0);
  return { total: total / 1000, byCategory: byCategory.map(([c, g]) => [c, g / 1000]) };
}

function latestRows(): LatestWeighing[] {
  const today = state.today?.date ?? localDate(new Date());
  const rows = new Map(state.latest.map((w) => [w.id, w]));
  for (const { w } of state.pending.values()) {
    if (w.direction !== 'in' || localDate(new Date(w.capturedAt)) !== today || rows.has(w.id)) continue;
    rows.set(w.id, { id: w.id, capturedAt: w.capturedAt, device: w.device, category: w.category, netKg: w.netKg, entry: w.entry, source: w.source });
  }
  return [...rows.values()].sort((a, b) => Date.parse(b.capturedAt) - Date.parse(a.capturedAt)).slice(0, LATEST_ROWS);
}

/** Forgets streamed weighings the stored results now include, so that nothing is counted twice. */
function reconcilePending(): void {
  const stored = new Set(state.latest.map((w) => w.id));
  const now = Date.now();
  for (const [id, p] of state.pending) {
    if (stored.has(id) || now - p.receivedAt > PENDING_TTL_MS) state.pending.delete(id);
  }
}

let refreshTimer: number | undefined;
let refreshing: Promise<void> | undefined;

async function doRefresh(): Promise<void> {
  try {
    state.site ??= await fetchJson<SiteInfo>('/api/v1/site');
    const today = localDate(new Date());
    const [todayData, daily, latest] = await Promise.all([
      fetchJson<TodayWeighings>('/api/v1/weighings/today'),
      fetchJson<DailyWeighings>(`/api/v1/weighings/daily?from=${addDays(today, 1 - CHART_DAYS)}&to=${today}`),
      fetchJson<{ weighings: LatestWeighing[] }>(`/api/v1/weighings/latest?limit=50`),
    ]);
    state.today = todayData;
    state.daily = daily;
    state.latest = latest.weighings;
    reconcilePending();
    state.error = undefined;
    state.updatedAt = new Date();
  } catch (err) {
    state.error = err instanceof Error ? err.message : String(err);
  }
  renderAll();
  window.clearTimeout(refreshTimer);
  // Sooner after a failure; the stored figures also catch weighings missed while the stream was down.
  refreshTimer = window.setTimeout(() => void refresh(), state.error ? 10_000 : REFRESH_MS);
}

function refresh(): Promise<void> {
  if (!state.user) return Promise.resolve();
  return (refreshing ??= doRefresh().finally(() => (refreshing = undefined)));
}

// ---- Rendering ----

function renderStatic(): void {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey);
  for (const btn of document.querySelectorAll<HTMLButtonElement>('.lang-switch button')) {
    btn.setAttribute('aria-pressed', String(btn.dataset.lang === state.lang));
  }
  $('.lang-switch').setAttribute('aria-label', t('language'));
  const siteName = state.site?.name ?? '…';
  $('[data-testid="site-name"]').textContent = siteName;
  document.title = `${siteName} · ${t('pageToday')} · Trébuchet`;
}

function linkState(): LinkState {
  if (!state.streamOpen) return state.everOpened ? 'offline' : 'connecting';
  return state.mqtt ? 'live' : 'brokerDown';
}

function renderHeader(): void {
  const link = linkState();
  const el = $('[data-testid="connection-status"]');
  el.dataset.state = link;
  const label = link === 'connecting' ? 'link.connecting' : `link.${link}`;
  el.querySelector('.link-label')!.textContent = t(label as MessageKey);
  el.title = link === 'live' ? t('link.titleLive') : link === 'brokerDown' ? t('link.titleBrokerDown') : t('link.titleOffline');
  const now = new Date();
  const date = new Intl.DateTimeFormat(localeOf(state.lang), { timeZone: timeZone(), weekday: 'long', day: 'numeric', month: 'long' }).format(now);
  $('[data-testid="today-date"]').textContent = `${date} · ${localTime(now)}`;
  const banner = $('[data-testid="error-banner"]');
  banner.hidden = !state.error;
  banner.textContent = state.error ? t('loadError', { detail: state.error }) : '';
  $('[data-testid="updated-at"]').textContent = state.updatedAt ? t('updatedAt', { time: localTime(state.updatedAt, true) }) : '';
}

function effectiveState(s: LiveEvent): ScaleState {
  if (linkState() !== 'live') return 'offline';
  const agent = state.agents.get(`${s.site}/${s.agent}`);
  if (agent?.state === 'offline' || agent?.devices?.[s.device]?.state === 'offline') return 'offline';
  return s.state;
}

const scaleCards = new Map<string, HTMLElement>();

function renderScales(): void {
  const container = $('[data-testid="live-scales"]');
  if (state.scales.size === 0) {
    container.replaceChildren(h('div', { class: 'empty-state' }, h('p', {}, t('noScale')), h('p', { class: 'hint' }, t('noScaleHint'))));
    scaleCards.clear();
    return;
  }
  container.querySelector('.empty-state')?.remove();
  const keys = [...state.scales.keys()].sort();
  for (const key of keys) {
    const s = state.scales.get(key)!;
    let card = scaleCards.get(key);
    if (!card) {
      card = h(
        'article',
        { class: 'scale', 'data-testid': 'live-weight', 'data-device': s.device, 'data-agent': s.agent },
        h('div', { class: 'scale-head' }, h('span', { class: 'scale-name' }, s.device), h('span', { class: 'badge', 'data-testid': 'live-state' })),
        h('div', { class: 'scale-value' }, h('span', { class: 'value', 'data-testid': 'live-weight-value' }), h('span', { class: 'unit' }, 'kg')),
        h('div', { class: 'scale-meta' }),
      );
      scaleCards.set(key, card);
    }
    const st = effectiveState(s);
    card.dataset.state = st;
    card.querySelector('.badge')!.textContent = t(`state.${st}`);
    card.querySelector('.value')!.textContent = s.kg === null ? '—' : formatKg(s.kg, 2);
    card.querySelector('.scale-meta')!.textContent = `${s.agent} · ${t('since', { time: localTime(new Date(s.t), true) })}`;
  }
  // Keep the sorted order without rebuilding cards (rebuilding would restart CSS transitions at 5 Hz).
  const ordered = keys.map((k) => scaleCards.get(k)!);
  if (ordered.some((card, i) => container.children[i] !== card)) container.replaceChildren(...ordered);
}

function renderToday(): void {
  const { total, byCategory } = todayFigures();
  $('[data-testid="today-total"]').textContent = formatKg(total, 1);
  const list = $('[data-testid="today-by-category"]');
  if (byCategory.length === 0) {
    list.replaceChildren(h('li', { class: 'empty' }, t('noWeighingToday')));
    return;
  }
  const max = Math.max(...byCategory.map(([, kg]) => kg), 0.001);
  list.replaceChildren(
    ...byCategory.map(([id, kg]) => {
      const { label, color } = categoryOf(id);
      const bar = h('span', { class: 'cat-bar-fill' });
      bar.style.width = `${Math.max(0, (kg / max) * 100)}%`;
      bar.style.background = color;
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = color;
      const pct = total > 0 ? Math.round((kg / total) * 100) : 0;
      return h(
        'li',
        { 'data-category': id },
        h('span', { class: 'cat-name' }, swatch, label),
        h('span', { class: 'cat-bar' }, bar),
        h('span', { class: 'cat-kg' }, formatKg(kg, 1)),
        h('span', { class: 'cat-pct' }, `${pct} %`),
      );
    }),
  );
}

let chart: ECharts | undefined;

function renderChart(): void {
  const daily = state.daily;
  if (!daily) return;
  const el = $('[data-testid="daily-chart"]');
  chart ??= init(el, undefined, { renderer: 'canvas' });
  const extra = pendingByDay();
  const categories = [...new Set([...daily.categories, ...[...extra.values()].flatMap((d) => [...d.keys()])])].sort(byTaxonomy);
  const today = localDate(new Date());
  const dayLabel = new Intl.DateTimeFormat(localeOf(state.lang), { timeZone: 'UTC', weekday: 'short', day: 'numeric' });
  const longLabel = new Intl.DateTimeFormat(localeOf(state.lang), { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });
  const kgOf = (date: string, byCategory: Record<string, number>, c: string) =>
    Math.round(((byCategory[c] ?? 0) + (extra.get(date)?.get(c) ?? 0)) * 10) / 10;

  const series: BarSeriesOption[] = categories.map((c) => {
    const { label, color } = categoryOf(c);
    return {
      type: 'bar',
      id: c,
      name: label,
      stack: 'kg',
      barMaxWidth: 26,
      itemStyle: { color },
      emphasis: { focus: 'series' },
      data: daily.days.map((d) => kgOf(d.date, d.byCategory, c)),
    };
  });
  const option: ChartOption = {
    animationDuration: 300,
    textStyle: { fontFamily: FONT },
    grid: { left: 8, right: 12, top: 44, bottom: 4, containLabel: true },
    legend: { type: 'scroll', top: 0, left: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10, itemGap: 14, textStyle: { color: '#3d4852', fontSize: 13 } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const items = (Array.isArray(params) ? params : [params]).filter((p) => Number(p.value) !== 0);
        const index = items[0]?.dataIndex ?? (Array.isArray(params) ? params[0]?.dataIndex : params.dataIndex) ?? 0;
        const day = daily.days[index];
        if (!day) return '';
        const total = items.reduce((sum, p) => sum + Number(p.value), 0);
        const head = `<b>${longLabel.format(new Date(`${day.date}T00:00:00Z`))}</b>`;
        const lines = items.map((p) => `${p.marker as string}${p.seriesName ?? ''} <b style="float:right;margin-left:16px">${formatKg(Number(p.value), 1)} kg</b>`);
        return [head, ...lines, `${t('total')} <b style="float:right;margin-left:16px">${formatKg(total, 1)} kg</b>`].join('<br>');
      },
    },
    xAxis: {
      type: 'category',
      data: daily.days.map((d) => d.date),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: '#c9cfd6' } },
      axisLabel: {
        color: '#5b6670',
        fontSize: 12,
        // One label a week, on today's weekday, so that today is always named.
        interval: (index: number) => (daily.days.length - 1 - index) % 7 === 0,
        formatter: (date: string) => (date === today ? `{today|${t('pageToday')}}` : dayLabel.format(new Date(`${date}T00:00:00Z`))),
        rich: { today: { fontWeight: 'bold', color: '#0f4c5c', fontSize: 12, fontFamily: FONT } },
      },
    },
    yAxis: {
      type: 'value',
      name: 'kg',
      nameTextStyle: { color: '#5b6670', align: 'right' },
      axisLabel: { color: '#5b6670', fontSize: 12, formatter: (v: number) => formatKg(v, 0) },
      splitLine: { lineStyle: { color: '#edf0f3' } },
    },
    series,
  };
  chart.setOption(option, { replaceMerge: ['series'] });
}

function renderLatest(): void {
  const rows = latestRows();
  const tbody = $('[data-testid="latest-weighings"] tbody');
  $('[data-testid="latest-empty"]').hidden = rows.length > 0;
  tbody.replaceChildren(
    ...rows.map((w) => {
      const { label, color } = categoryOf(w.category);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = color;
      const category = h('td', { class: 'cat' }, swatch, label);
      if (w.entry === 'void') category.append(h('span', { class: 'tag tag-void' }, t('void')));
      if (w.source === 'manual') category.append(h('span', { class: 'tag' }, t('manual')));
      const classes = [w.entry === 'void' ? 'void' : '', state.fresh.has(w.id) ? 'fresh' : ''].filter(Boolean).join(' ');
      return h(
        'tr',
        { 'data-id': w.id, class: classes },
        h('td', { class: 'time' }, localTime(new Date(w.capturedAt))),
        category,
        h('td', { class: 'num kg' }, formatKg(w.netKg, 2)),
        h('td', { class: 'device' }, w.device),
      );
    }),
  );
}

function renderAll(): void {
  renderStatic();
  renderHeader();
  renderScales();
  renderToday();
  renderChart();
  renderLatest();
}

// ---- Live stream ----

let stream: EventSource | undefined;
let retryMs = 1_000;

function onWeighing(w: WeighingEvent): void {
  // QoS 1 may deliver twice, and the stored list may already hold it.
  if (state.pending.has(w.id) || state.latest.some((l) => l.id === w.id)) return;
  state.pending.set(w.id, { w, receivedAt: Date.now() });
  state.fresh.add(w.id);
  window.setTimeout(() => state.fresh.delete(w.id), 4_000);
  renderToday();
  renderChart();
  renderLatest();
}

function connectStream(): void {
  const es = new EventSource('/api/v1/live');
  stream = es;
  es.addEventListener('open', () => {
    const reconnected = state.everOpened;
    state.streamOpen = true;
    state.everOpened = true;
    retryMs = 1_000;
    renderHeader();
    // Weighings sent while the stream was down are only in InfluxDB now.
    if (reconnected) void refresh();
  });
  es.addEventListener('error', () => {
    state.streamOpen = false;
    renderHeader();
    renderScales();
    // The browser retries by itself unless the server answered with an error; then it is up to us.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      window.setTimeout(connectStream, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  });
  es.addEventListener('link', (e) => {
    state.mqtt = (JSON.parse(e.data) as { mqtt: string }).mqtt === 'connected';
    renderHeader();
    renderScales();
  });
  es.addEventListener('live', (e) => {
    const live = JSON.parse(e.data) as LiveEvent;
    state.scales.set(`${live.agent}/${live.device}`, live);
    renderScales();
  });
  es.addEventListener('status', (e) => {
    const status = JSON.parse(e.data) as StatusEvent;
    state.agents.set(`${status.site}/${status.agent}`, status);
    renderScales();
  });
  es.addEventListener('weighing', (e) => onWeighing(JSON.parse(e.data) as WeighingEvent));
}

// ---- Start ----

function setLang(lang: Lang): void {
  state.lang = lang;
  rememberLang(lang);
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
  }
  renderAll();
}

for (const btn of document.querySelectorAll<HTMLButtonElement>('.lang-switch button')) {
  btn.addEventListener('click', () => setLang(btn.dataset.lang === 'en' ? 'en' : 'fr'));
}
new ResizeObserver(() => chart?.resize()).observe($('[data-testid="daily-chart"]'));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh();
});
// The clock in the header, and a new day at local midnight.
let shownDay = '';
window.setInterval(() => {
  renderHeader();
  const day = localDate(new Date());
  if (shownDay && day !== shownDay) void refresh();
  shownDay = day;
}, 15_000);

renderAll();
void signIn($('[data-testid="login-screen"]'), t).then((user) => {
  state.user = user;
  connectStream();
  void refresh().then(() => (shownDay = localDate(new Date())));
});
window.addEventListener('beforeunload', () => stream?.close());

import { h } from '../../../../web-kit/dom.js';
import type { AgentState, DevicesReport } from '../../../reports/report-types.js';
import { scopeName, t, timeZoneOf } from '../app.js';
import { agentOnline, agentProblems, BACKLOG_ALERT_S, deviceAlert, deviceState, oldestPendingNowS, stateLabel } from '../device-states.js';
import { clock, duration, kg, number } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { onLive } from '../live-stream.js';
import { panel, type PageDefinition, type PageFactory } from '../page.js';
import { poll } from '../poller.js';
import { ReportLoader } from '../report-loader.js';
import { pageHead } from '../report-page.js';
import { replaceParams } from '../router.js';
import { scopeParam, sitePicker } from '../site-picker.js';

const REFRESH_MS = 10_000;
/** Live weights stream at up to 5 Hz: the table follows them at most this often. */
const REDRAW_MS = 1_000;

const ago = (iso: string | null, now: number) => (iso ? t('ago', { duration: duration((now - Date.parse(iso)) / 1000) }) : '—');

function figure(label: MessageKey, value: string, alert: boolean, testid: string): HTMLElement {
  return h('div', { class: `device-figure${alert ? ' alert' : ''}`, 'data-testid': testid, 'data-alert': String(alert) }, h('span', { class: 'device-figure-label' }, t(label)), h('span', { class: 'device-figure-value' }, value));
}

function agentCard(a: AgentState, now: number): HTMLElement {
  const online = agentOnline(a);
  const problems = agentProblems(a, now);
  const oldest = oldestPendingNowS(a, now);
  const health = a.health;
  const rows = a.devices.map((d) => {
    const state = deviceState(a, d);
    return h(
      'tr',
      { 'data-device': d.id, class: deviceAlert(a, d) ? 'alert' : '' },
      h('th', { scope: 'row' }, d.id),
      h('td', {}, h('span', { class: `chip chip-${deviceAlert(a, d) ? 'bad' : 'ok'}`, 'data-testid': 'device-state' }, stateLabel(state))),
      h('td', { class: 'num', 'data-testid': 'device-reading' }, d.live ? `${d.live.kg === null ? '—' : kg(d.live.kg, 2)} kg` : '—'),
      // Every device that has read shows when, door counters included (they stream no live weight).
      h('td', { 'data-testid': 'device-reading-at' }, d.lastReadingAt ? `${clock(new Date(d.lastReadingAt), timeZoneOf(a.site), true)} · ${ago(d.lastReadingAt, now)}` : '—'),
      h('td', { class: `num${(d.errors ?? 0) > 0 ? ' bad' : ''}`, 'data-testid': 'device-errors' }, d.errors === null ? '—' : number(d.errors)),
    );
  });
  return panel(
    { title: a.agent, sub: `${scopeName(a.site)}${a.version ? ` · v${a.version}` : ''}`, className: `agent-card${problems.length ? ' has-problems' : ''}`, testid: `agent-${a.agent}` },
    h(
      'div',
      { class: 'agent-state' },
      h('span', { class: `chip chip-${online ? 'ok' : 'bad'}`, 'data-testid': 'agent-state' }, stateLabel(online ? 'online' : 'offline')),
      h('span', { class: 'muted' }, a.since ? t('devices.since', { when: ago(a.since, now) }) : ''),
      ...problems.map((p) => h('span', { class: 'chip chip-bad', 'data-problem': p }, t(`problem.${p}` as MessageKey))),
    ),
    h(
      'div',
      { class: 'device-figures' },
      figure('devices.backlog', health ? number(health.outboxDepth) : '—', problems.includes('backlog'), 'outbox-depth'),
      figure('devices.oldest', oldest === null ? '—' : duration(oldest), (oldest ?? 0) > BACKLOG_ALERT_S, 'oldest-pending'),
      figure('devices.deadLetters', health ? number(health.deadLetters) : '—', problems.includes('deadLetters'), 'dead-letters'),
      figure('devices.clock', health ? t(health.clockSynced ? 'devices.clockOk' : 'devices.clockNot') : '—', problems.includes('clock'), 'clock-sync'),
      figure('devices.health', health ? ago(health.t, now) : '—', false, 'last-health'),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data-table' },
        h('thead', {}, h('tr', {}, ...(['devices.device', 'devices.state', 'devices.reading', 'devices.readingAt', 'devices.errors'] as const).map((k, i) => h('th', { class: i === 2 || i === 4 ? 'num' : '' }, t(k))))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

/** Appareils: every agent and device, its state, last reading, errors, outbox backlog and clock; problems in colour. */
const mount: PageFactory = (root, options) => {
  let scope = '';
  let redraw: number | undefined;

  const render = () => {
    const toolbar = options.tv ? [] : [sitePicker(scope)].filter((x) => x !== undefined).map((picker) => h('div', { class: 'toolbar' }, picker));
    const report = loader.report?.data;
    const now = Date.now();
    const body = !report
      ? []
      : [
          ...(report.mqtt === 'disconnected' ? [h('p', { class: 'notice', 'data-testid': 'devices-stale' }, t('devices.stale'))] : []),
          ...(report.agents.length === 0 ? [h('p', { class: 'empty-period' }, t('devices.none'))] : report.agents.map((a) => agentCard(a, now))),
        ];
    root.replaceChildren(pageHead(t('page.appareils'), scopeName(scope)), ...toolbar, h('div', { class: 'cards cards-appareils' }, ...body));
  };
  const loader = new ReportLoader<DevicesReport>(root, 'page:appareils', render);
  const stopPolling = poll(() => loader.refresh(), REFRESH_MS);
  const stopLive = onLive({
    changed: () => {
      redraw ??= window.setTimeout(() => {
        redraw = undefined;
        render();
      }, REDRAW_MS);
    },
  });

  return {
    update(query) {
      scope = scopeParam(query);
      if (!options.tv) replaceParams(new URLSearchParams({ site: scope }));
      render();
      loader.show(`/api/v1/devices?${new URLSearchParams({ site: scope })}`);
    },
    relabel: render,
    dispose() {
      stopPolling();
      stopLive();
      window.clearTimeout(redraw);
      loader.dispose();
    },
  };
};

export const appareilsPage: PageDefinition<'appareils'> = { id: 'appareils', titleKey: 'page.appareils', mount };

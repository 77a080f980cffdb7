import type { AgentState, DeviceState } from '../../reports/report-types.js';
import { t } from './app.js';
import type { MessageKey } from './i18n.js';
import { agentStatus } from './live-stream.js';

/** A backlog older than this means events are not getting through: someone should look. */
export const BACKLOG_ALERT_S = 10 * 60;

export type Problem = 'offline' | 'backlog' | 'errors' | 'deadLetters' | 'clock';

/** An agent's state: the live stream's latest status wins over the report's (fetched less often). */
export function agentOnline(a: AgentState): boolean {
  return (agentStatus(a.site, a.agent)?.state ?? a.state) === 'online';
}

/** How old the oldest unsent event is now, from the agent's last health message. */
export function oldestPendingNowS(a: AgentState, now = Date.now()): number | null {
  if (!a.health || a.health.oldestPendingS === null) return null;
  return a.health.oldestPendingS + Math.max(0, (now - Date.parse(a.health.t)) / 1000);
}

export function agentProblems(a: AgentState, now = Date.now()): Problem[] {
  const problems: Problem[] = [];
  if (!agentOnline(a)) problems.push('offline');
  if ((oldestPendingNowS(a, now) ?? 0) > BACKLOG_ALERT_S) problems.push('backlog');
  if (a.devices.some((d) => (d.errors ?? 0) > 0)) problems.push('errors');
  if ((a.health?.deadLetters ?? 0) > 0) problems.push('deadLetters');
  if (a.health && !a.health.clockSynced) problems.push('clock');
  return problems;
}

/** A device's state as shown: offline with its agent, else its own. */
export function deviceState(a: AgentState, d: DeviceState): string {
  if (!agentOnline(a)) return 'offline';
  return agentStatus(a.site, a.agent)?.devices?.[d.id]?.state ?? d.state;
}

export function deviceAlert(a: AgentState, d: DeviceState): boolean {
  const state = deviceState(a, d);
  return state === 'offline' || state === 'degraded' || (d.errors ?? 0) > 0;
}

export function stateLabel(state: string): string {
  const key = `dstate.${state}`;
  return ['dstate.ok', 'dstate.degraded', 'dstate.offline', 'dstate.online', 'dstate.unknown'].includes(key) ? t(key as MessageKey) : state;
}

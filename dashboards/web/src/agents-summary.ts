import { h } from '../../../web-kit/dom.js';
import type { AgentState } from '../../reports/report-types.js';
import { t } from './app.js';
import { agentOnline, agentProblems, deviceAlert, deviceState, stateLabel } from './device-states.js';

/** Every agent and device of the shown sites, one line each, problems in colour: the full story is on « Appareils ». */
export function agentsSummary(agents: readonly AgentState[]): HTMLElement {
  if (agents.length === 0) return h('p', { class: 'empty' }, t('devices.none'));
  return h(
    'ul',
    { class: 'agents-summary', 'data-testid': 'agents-summary' },
    ...agents.map((a) =>
      h(
        'li',
        { 'data-agent': a.agent, 'data-alert': String(agentProblems(a).length > 0) },
        h('span', { class: `chip chip-${agentOnline(a) ? 'ok' : 'bad'}`, 'data-testid': 'agent-state' }, `${a.agent} · ${stateLabel(agentOnline(a) ? 'online' : 'offline')}`),
        ...a.devices.map((d) => h('span', { class: `chip chip-${deviceAlert(a, d) ? 'bad' : 'ok'}`, 'data-device': d.id }, `${d.id} · ${stateLabel(deviceState(a, d))}`)),
      ),
    ),
  );
}

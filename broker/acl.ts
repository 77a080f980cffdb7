import { AGENT_DEVICE, TOPIC_ROOT, agentTopic, parseTopic } from '../protocol/index.js';
import type { BrokerUser } from './credentials.js';

/**
 * Who may publish and subscribe where. An agent's topic prefix is its identity: it publishes only
 * under its own {site}/{agent} and reads only its own receipts. Ingest writes receipts, dashboards read.
 */
export function mayPublish(user: BrokerUser, topic: string): boolean {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return false;
  const { site, agent, device, kind } = parsed.parts;
  switch (user.role) {
    case 'agent':
      return site === user.site && agent === user.agent && kind !== 'receipt' && kind !== 'deadletter';
    case 'ingest':
      return device === AGENT_DEVICE && (kind === 'receipt' || kind === 'deadletter');
    case 'dashboards':
      return false;
  }
}

/** Strips an MQTT 5 shared-subscription prefix (`$share/{group}/`) so ingest instances can share the load. */
function unshared(filter: string): string {
  const m = /^\$share\/[^/+#]+\/(.+)$/.exec(filter);
  return m ? m[1]! : filter;
}

export function maySubscribe(user: BrokerUser, filter: string): boolean {
  const f = unshared(filter);
  if (!f.startsWith(`${TOPIC_ROOT}/`)) return false;
  switch (user.role) {
    case 'agent':
      return f === agentTopic(user.site ?? '', user.agent ?? '', 'receipt') || f === agentTopic(user.site ?? '', user.agent ?? '', 'deadletter');
    case 'ingest':
      // Statuses tell ingest each agent's install date, before which no event can have been captured.
      return /\/(weighing|visits|bon|status)$/.test(f);
    case 'dashboards':
      return true;
  }
}

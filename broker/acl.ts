import { AGENT_DEVICE, AGENT_SENT_KINDS, INGEST_READ_KINDS, INGEST_SENT_KINDS, KINDS, TOPIC_ROOT, agentTopic, parseTopic, type Kind } from '../protocol/index.js';
import type { BrokerUser } from './credentials.js';

/**
 * Who may publish and subscribe where, derived from the contract's table of kinds (`protocol/kinds.ts`).
 * An agent's topic prefix is its identity: it publishes only what agents send, under its own
 * {site}/{agent}, and reads only what ingest sends it. Ingest writes receipts and dead letters, and reads
 * the kinds it stores, unpacks or watches; dashboards read everything.
 */
export function mayPublish(user: BrokerUser, topic: string): boolean {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return false;
  const { site, agent, device, kind } = parsed.parts;
  switch (user.role) {
    case 'agent':
      return site === user.site && agent === user.agent && AGENT_SENT_KINDS.includes(kind);
    case 'ingest':
      return device === AGENT_DEVICE && (INGEST_SENT_KINDS as Kind[]).includes(kind);
    case 'dashboards':
      return false;
  }
}

/**
 * Whether a message may be retained: only kinds the contract retains. Those are agent-level kinds, one topic
 * each per agent, so an agent holds at most that many retained messages on the broker, by construction.
 */
export function mayRetain(topic: string): boolean {
  const parsed = parseTopic(topic);
  return parsed.ok && KINDS[parsed.parts.kind].delivery.retain;
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
      return INGEST_SENT_KINDS.some((kind) => f === agentTopic(user.site ?? '', user.agent ?? '', kind));
    case 'ingest': {
      // Ends with a kind it reads: a wildcard in the kind level (`#`, `+`) would reach others.
      const levels = f.split('/');
      return levels.length === 6 && INGEST_READ_KINDS.includes(levels[5] as Kind);
    }
    case 'dashboards':
      return true;
  }
}

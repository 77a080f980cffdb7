import { SLUG_PATTERN } from './ids.js';
import { AGENT_KINDS, DEVICE_KINDS, type AgentKind, type DeviceKind, type Kind } from './kinds.js';

export const TOPIC_ROOT = 'tb/v1';

/** The reserved device level for messages about the agent itself. */
export const AGENT_DEVICE = '_agent';

export interface TopicParts {
  site: string;
  agent: string;
  device: string;
  kind: Kind;
}

export function deviceTopic(site: string, agent: string, device: string, kind: DeviceKind): string {
  return `${TOPIC_ROOT}/${site}/${agent}/${device}/${kind}`;
}

export function agentTopic(site: string, agent: string, kind: AgentKind): string {
  return `${TOPIC_ROOT}/${site}/${agent}/${AGENT_DEVICE}/${kind}`;
}

/** The subscription filter for one kind across every site, agent and device. */
export function kindFilter(kind: Kind, site = '+'): string {
  return `${TOPIC_ROOT}/${site}/+/+/${kind}`;
}

/** The topic prefix an agent owns: it may publish under it and nowhere else. */
export function agentPrefix(site: string, agent: string): string {
  return `${TOPIC_ROOT}/${site}/${agent}/`;
}

export type TopicParseResult = { ok: true; parts: TopicParts } | { ok: false; reason: string };

export function parseTopic(topic: string): TopicParseResult {
  const levels = topic.split('/');
  if (levels.length !== 6 || `${levels[0]}/${levels[1]}` !== TOPIC_ROOT) {
    return { ok: false, reason: `topic "${topic}" is not of the form ${TOPIC_ROOT}/{site}/{agent}/{device}/{kind}` };
  }
  const [, , site, agent, device, kind] = levels as [string, string, string, string, string, string];
  if (!SLUG_PATTERN.test(site)) return { ok: false, reason: `site "${site}" is not a slug` };
  if (!SLUG_PATTERN.test(agent)) return { ok: false, reason: `agent "${agent}" is not a slug` };
  if (device === AGENT_DEVICE) {
    if (!(AGENT_KINDS as string[]).includes(kind)) {
      return { ok: false, reason: `kind "${kind}" is not one of ${AGENT_KINDS.join(', ')} for ${AGENT_DEVICE}` };
    }
  } else {
    if (!SLUG_PATTERN.test(device)) return { ok: false, reason: `device "${device}" is not a slug` };
    if (!(DEVICE_KINDS as string[]).includes(kind)) {
      return { ok: false, reason: `kind "${kind}" is not one of ${DEVICE_KINDS.join(', ')} for a device` };
    }
  }
  return { ok: true, parts: { site, agent, device, kind: kind as Kind } };
}

/** The MQTT username of an agent: the broker ties it to the agent's own topic prefix. */
export function agentUsername(site: string, agent: string): string {
  return `agent.${site}.${agent}`;
}

import type { z } from 'zod';
import { acceptsSchema, batchSchema, bonSchema, deadLetterSchema, healthSchema, liveSchema, receiptSchema, statusSchema, visitsSchema, weighingSchema } from './messages.js';

/**
 * Every message kind of the contract, in one table (DESIGN.md's). Topics, the broker's ACL, ingest's
 * subscriptions and its dispatch, and the agent's subscriptions are derived from it: a kind cannot be
 * allowed in one place and forgotten in another.
 */
export interface KindDefinition {
  schema: z.ZodType;
  /** `device`: published under a device id; `agent`: under the reserved `_agent` level (about the agent itself, or the counter's). */
  level: 'device' | 'agent';
  delivery: { qos: 0 | 1; retain: boolean };
  /** Who publishes it: an agent under its own prefix, or ingest to one agent. */
  sender: 'agent' | 'ingest';
  /**
   * What ingest does with it: `store` it (an event, receipted once InfluxDB holds it; shared between ingest
   * instances), `unpack` it (stored events in one envelope, each then handled as its own message; shared
   * too), `watch` it (every instance reads it, nothing is stored), or nothing (not subscribed).
   */
  ingest?: 'store' | 'unpack' | 'watch';
}

export const KINDS = {
  weighing: { schema: weighingSchema, level: 'device', delivery: { qos: 1, retain: false }, sender: 'agent', ingest: 'store' },
  visits: { schema: visitsSchema, level: 'device', delivery: { qos: 1, retain: false }, sender: 'agent', ingest: 'store' },
  /** Current weight for live views only: at most once, never stored. */
  live: { schema: liveSchema, level: 'device', delivery: { qos: 0, retain: false }, sender: 'agent' },
  /** The counter's (several scales feed one bon), so it sits at the agent level. */
  bon: { schema: bonSchema, level: 'agent', delivery: { qos: 1, retain: false }, sender: 'agent', ingest: 'store' },
  /** Retained, set offline by the agent's last will. Ingest reads each agent's install date from it. */
  status: { schema: statusSchema, level: 'agent', delivery: { qos: 1, retain: true }, sender: 'agent', ingest: 'watch' },
  /** Retained: a dashboards server that starts or reconnects has every agent's outbox and clock at once. */
  health: { schema: healthSchema, level: 'agent', delivery: { qos: 0, retain: true }, sender: 'agent' },
  /** Stored events travelling together (a backlog), once ingest has offered it: see messages.ts. */
  batch: { schema: batchSchema, level: 'agent', delivery: { qos: 1, retain: false }, sender: 'agent', ingest: 'unpack' },
  receipt: { schema: receiptSchema, level: 'agent', delivery: { qos: 1, retain: false }, sender: 'ingest' },
  deadletter: { schema: deadLetterSchema, level: 'agent', delivery: { qos: 1, retain: false }, sender: 'ingest' },
  /** Ingest's offer to an agent that came online (batches): an agent that does not know this kind never subscribes to it. */
  accepts: { schema: acceptsSchema, level: 'agent', delivery: { qos: 1, retain: false }, sender: 'ingest' },
} as const satisfies Record<string, KindDefinition>;

type Kinds = typeof KINDS;
export type Kind = keyof Kinds;
export type DeviceKind = { [K in Kind]: Kinds[K]['level'] extends 'device' ? K : never }[Kind];
export type AgentKind = { [K in Kind]: Kinds[K]['level'] extends 'agent' ? K : never }[Kind];
/** The kinds ingest writes to InfluxDB: each has its handler in `ingest/handlers/`. */
export type StoredKind = { [K in Kind]: Kinds[K] extends { ingest: 'store' } ? K : never }[Kind];
export type IngestSentKind = { [K in Kind]: Kinds[K]['sender'] extends 'ingest' ? K : never }[Kind];
export type UnpackedKind = { [K in Kind]: Kinds[K] extends { ingest: 'unpack' } ? K : never }[Kind];
export type WatchedKind = { [K in Kind]: Kinds[K] extends { ingest: 'watch' } ? K : never }[Kind];
export type MessageOf<K extends Kind> = z.infer<Kinds[K]['schema']>;

const entries = Object.entries(KINDS) as [Kind, KindDefinition][];
const kindsWhere = (test: (d: KindDefinition) => boolean): Kind[] => entries.filter(([, d]) => test(d)).map(([k]) => k);

export const DEVICE_KINDS = kindsWhere((d) => d.level === 'device') as DeviceKind[];
export const AGENT_KINDS = kindsWhere((d) => d.level === 'agent') as AgentKind[];
/** What an agent may publish (under its own prefix). */
export const AGENT_SENT_KINDS = kindsWhere((d) => d.sender === 'agent');
/** What ingest sends to one agent, and the agent subscribes to under its own prefix. */
export const INGEST_SENT_KINDS = kindsWhere((d) => d.sender === 'ingest') as IngestSentKind[];
export const STORED_KINDS = kindsWhere((d) => d.ingest === 'store') as StoredKind[];
export const UNPACKED_KINDS = kindsWhere((d) => d.ingest === 'unpack') as UnpackedKind[];
export const WATCHED_KINDS = kindsWhere((d) => d.ingest === 'watch') as WatchedKind[];
/** What ingest subscribes to (and the broker lets it read). */
export const INGEST_READ_KINDS = kindsWhere((d) => d.ingest !== undefined);

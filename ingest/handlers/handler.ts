import type { IPoint } from 'influx';
import type { MessageOf, StoredKind, TopicParts, WatchedKind } from '../../protocol/index.js';

/**
 * What ingest does with one stored kind, once its payload is valid (the dispatch decodes it with the
 * kind's schema first): when it was captured, for the plausibility check, and the point it becomes.
 */
export interface StoredKindHandler<K extends StoredKind> {
  /** The capture time, and for a span (a visits bucket) its length: what must follow the install is its end. */
  captured(msg: MessageOf<K>): { at: string; spanMs?: number };
  point(origin: Omit<TopicParts, 'kind'>, msg: MessageOf<K>): IPoint;
}

/** Where a watched kind's news goes: nothing is stored, each ingest instance keeps what it learns. */
export interface WatchContext {
  installed(site: string, agent: string, installedAt: string): void;
  /** The agent is connected now: ingest tells it what it accepts besides single messages. */
  online(site: string, agent: string): void;
}

export type WatchedKindHandler<K extends WatchedKind> = (parts: TopicParts, msg: MessageOf<K>, ctx: WatchContext) => void;

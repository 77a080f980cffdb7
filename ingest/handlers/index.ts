import type { StoredKind, WatchedKind } from '../../protocol/index.js';
import { bon } from './bon.js';
import type { StoredKindHandler, WatchedKindHandler } from './handler.js';
import { status } from './status.js';
import { visits } from './visits.js';
import { weighing } from './weighing.js';

/**
 * The dispatch tables: one handler per kind the contract marks as stored or watched by ingest. Typed by
 * the table, so a kind marked `store` without a handler here does not compile.
 */
export const STORED_HANDLERS: { [K in StoredKind]: StoredKindHandler<K> } = { weighing, visits, bon };
export const WATCHED_HANDLERS: { [K in WatchedKind]: WatchedKindHandler<K> } = { status };

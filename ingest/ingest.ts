import { randomBytes } from 'node:crypto';
import type { IPoint } from 'influx';
import { decode, kindFilter, parseTopic, STORED_KINDS, unbatch, UNPACKED_KINDS, WATCHED_KINDS, type Kind, type StoredKind, type TopicParseResult, type TopicParts, type UnpackedKind, type WatchedKind } from '../protocol/index.js';
import { OncePerKind, type Logger } from '../runtime/log.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { checkInfluxQLFunctions } from '../storage/influxql-functions.js';
import { openStore } from '../storage/open-store.js';
import { rollupSpansFor } from '../storage/rollups.js';
import { BatchWriter } from './batch-writer.js';
import { CaptureTimes } from './capture-times.js';
import { siteTimeZone, type IngestConfig } from './config.js';
import { prepareDatabase } from './database.js';
import { deadLetters } from './dead-letters.js';
import { STORED_HANDLERS, WATCHED_HANDLERS } from './handlers/index.js';
import type { StoredKindHandler, WatchContext, WatchedKindHandler } from './handlers/handler.js';
import { offerBatches } from './offer.js';
import { publishReceipts, type ReceiptKey } from './receipts.js';
import { ReconnectWatch } from './reconnect-watch.js';
import { rollUp } from './roll-up.js';
import { SecondLook } from './second-look.js';

export interface IngestStats {
  /** Events received: single messages, and the items of batches. */
  received: number;
  /** Batch messages among them (agents offered batches send their backlog so). */
  batches: number;
  accepted: number;
  stored: number;
  deadLetters: number;
  refusedBufferFull: number;
  /** Points stored whose rollup ran short: no receipt went out for them (see roll-up.ts). */
  receiptsWithheld: number;
  /** Rollup rows a second look found stale after their check (another instance died in between, see second-look.ts). */
  rollupRowsRewrittenOnSecondLook: number;
  rejected: Record<string, number>;
  buffered: number;
}

export interface RunningIngest {
  stats(): IngestStats;
  stop(): Promise<void>;
}

/**
 * The filters a SUBACK refused (code 0x80 or above). mqtt.js reports a refusal as an error carrying the
 * SUBACK, and then hands back the requested filters as if granted: the codes are read from the packet.
 */
function refusedFilters(filters: readonly string[], err: Error | null, granted: readonly { topic: string; qos: number }[] | undefined): string[] {
  const codes = (err as { packet?: { granted?: unknown[] } } | null)?.packet?.granted;
  if (codes) return filters.filter((_, i) => Number(codes[i]) >= 128);
  return (granted ?? []).filter((g) => g.qos >= 128).map((g) => g.topic);
}

/**
 * parseTopic, remembered: a network has a few topics per device and every event checks its own (a batch's
 * items too). Forgotten all at once past a bound, against a flood of made-up topics.
 */
function topicParser(max = 10_000): (topic: string) => TopicParseResult {
  const known = new Map<string, TopicParseResult>();
  return (topic) => {
    let parsed = known.get(topic);
    if (!parsed) {
      if (known.size >= max) known.clear();
      known.set(topic, (parsed = parseTopic(topic)));
    }
    return parsed;
  };
}

const isStored = (kind: Kind): kind is StoredKind => (STORED_KINDS as Kind[]).includes(kind);
const isWatched = (kind: Kind): kind is WatchedKind => (WATCHED_KINDS as Kind[]).includes(kind);
const isUnpacked = (kind: Kind): kind is UnpackedKind => (UNPACKED_KINDS as Kind[]).includes(kind);

/**
 * MQTT → zod → InfluxDB → receipt. A receipt is published only once InfluxDB has acknowledged the
 * write and the rollups it feeds ran in full, so an agent forgets an event only when it is really stored
 * and counted. A malformed message (one beyond the contract's bounds too) is counted, logged once per kind
 * of fault, and dead-lettered: it never blocks the valid ones around it. A batch is unpacked into the
 * messages it stands for, each handled as if it came alone. What each kind becomes is its handler's
 * (`handlers/`); which kinds come here is the contract's table.
 */
export async function startIngest(config: IngestConfig, log: Logger): Promise<RunningIngest> {
  const influx = openStore(config.influx);
  const rejects = new OncePerKind(log);
  const times = new CaptureTimes(config, rejects);
  const topicOf = topicParser();
  let received = 0;
  let batches = 0;
  let accepted = 0;

  await prepareDatabase(influx, config, log).then(
    () => checkInfluxQLFunctions(influx, log),
    (err: Error) => log.warn({ err: err.message, influx: influx.describe }, 'InfluxDB not reachable yet; writes will retry'),
  );

  const looks = new SecondLook({ store: influx, afterMs: config.batch.secondLookMs, log });
  const client = connectMqtt(config.mqtt, 'ingest', { clientId: `trebuchet-ingest-${randomBytes(4).toString('hex')}` });

  const writer = new BatchWriter<ReceiptKey | undefined>({
    ...config.batch,
    log,
    async write(points: IPoint[]) {
      try {
        await influx.write(points, 'raw');
      } catch (err) {
        // The database may have been dropped or InfluxDB started empty: create it, then retry this batch.
        if (/database not found|bucket .* not found/i.test((err as Error).message)) await influx.prepare();
        throw err;
      }
    },
    // Before the receipts, once per burst of batches (their days summed once): a crash here leaves the
    // events unacknowledged, so they come back and their days are recomputed then.
    async settle(points: IPoint[]) {
      const spans = rollupSpansFor(points, (site) => siteTimeZone(config, site));
      const incomplete = await rollUp(influx, spans, points, log);
      looks.after(spans);
      return incomplete;
    },
    onWritten: (keys) => publishReceipts(client, keys),
  });
  const letters = deadLetters(writer, client, rejects);

  // Stored kinds (and batches of them) are shared between ingest instances; watched ones reach every
  // instance, each keeps its own view.
  const share = (filter: string) => (config.sharedGroup ? `$share/${config.sharedGroup}/${filter}` : filter);
  const filters = [...[...STORED_KINDS, ...UNPACKED_KINDS].map((kind) => share(kindFilter(kind))), ...WATCHED_KINDS.map((kind) => kindFilter(kind))];
  const takeovers = new ReconnectWatch();
  client.on('connect', () => {
    if (takeovers.connected()) {
      log.error(
        { reconnectsPerMinute: takeovers.count, sharedGroup: config.sharedGroup || undefined, username: config.mqtt.username },
        'ingest is disconnected right after each connection: another client is probably connected with the same username (Mosquitto binds client ids to usernames). Give each ingest instance its own user: broker ingestInstances, then mqtt.username ingest-2, ingest-3…',
      );
    }
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const refused = refusedFilters(filters, err, granted);
      if (config.sharedGroup && refused.some((f) => f.startsWith('$share/'))) {
        log.error({ sharedGroup: config.sharedGroup, refused }, 'ingest: the broker refuses shared subscriptions (the embedded one does): set sharedGroup only with Mosquitto or EMQX, or run one ingest without it');
      } else if (err || refused.length) log.error({ err: err?.message, refused }, 'ingest subscription refused');
      else log.info({ filters: granted?.map((g) => g.topic) }, 'ingest subscribed');
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT error'));

  const store = <K extends StoredKind>(kind: K, parts: TopicParts, topic: string, payload: Buffer | string) => {
    const msg = decode(kind, payload);
    if (!msg.ok) return letters.refuse(`invalid-${kind}`, topic, payload, msg.reason);
    const handler = STORED_HANDLERS[kind] as StoredKindHandler<K>;
    const { at, spanMs } = handler.captured(msg.value);
    const late = times.implausible(at, parts.site, parts.agent, spanMs);
    if (late) return letters.refuse('implausible-time', topic, payload, late);
    const key = { site: parts.site, agent: parts.agent, id: msg.value.id };
    if (writer.offer({ point: handler.point(parts, msg.value), key })) accepted++;
    else rejects.report('buffer-full', { buffered: writer.buffered }, 'ingest buffer full; the agent will resend');
  };

  const watchContext: WatchContext = {
    installed: (site, agent, installedAt) => times.installed(site, agent, installedAt),
    online: (site, agent) => {
      if (config.offerBatches) offerBatches(client, site, agent);
    },
  };
  const watch = <K extends WatchedKind>(kind: K, parts: TopicParts, payload: Buffer) => {
    const msg = decode(kind, payload);
    if (msg.ok) (WATCHED_HANDLERS[kind] as WatchedKindHandler<K>)(parts, msg.value, watchContext);
  };

  /** An event: a message of a stored kind, or a batch's item (`batch`: its sender), which stands for that message in every way. */
  const event = (topic: string, parsed: TopicParseResult, payload: Buffer | string, batch?: TopicParts) => {
    received++;
    if (!parsed.ok) return letters.refuse('bad-topic', topic, payload, parsed.reason, batch);
    const { kind } = parsed.parts;
    if (isStored(kind)) return store(kind, parsed.parts, topic, payload);
    letters.refuse('unexpected-kind', topic, payload, batch ? `a batch carries only ${STORED_KINDS.join(', ')} events, not ${kind}` : `ingest does not store ${kind} messages`);
  };

  /** A refused envelope is one dead letter with no event id: its agent goes back to single messages. */
  const unpack = (parts: TopicParts, topic: string, payload: Buffer) => {
    const batch = decode('batch', payload);
    if (!batch.ok) {
      received++;
      return letters.refuse('invalid-batch', topic, payload, batch.reason);
    }
    batches++;
    for (const item of unbatch(parts.site, parts.agent, batch.value)) event(item.topic, topicOf(item.topic), item.payload, parts);
  };

  client.on('message', (topic, payload) => {
    const parsed = topicOf(topic);
    if (parsed.ok && isUnpacked(parsed.parts.kind)) return unpack(parsed.parts, topic, payload);
    if (parsed.ok && isWatched(parsed.parts.kind)) return watch(parsed.parts.kind, parsed.parts, payload);
    event(topic, parsed, payload);
  });

  const stats = () => ({
    received,
    batches,
    accepted,
    stored: writer.stats.written,
    deadLetters: letters.count,
    refusedBufferFull: writer.stats.refused,
    receiptsWithheld: writer.stats.withheld,
    rollupRowsRewrittenOnSecondLook: looks.stats.rewritten,
    rejected: rejects.snapshot(),
    buffered: writer.buffered,
  });
  return {
    stats,
    async stop() {
      await writer.stop();
      await looks.stop();
      // What this instance did, for an operator sharing the work between several (sharedGroup).
      log.info(stats(), 'ingest stopped');
      // Without a broker, a graceful end waits forever for unsent receipts; the agents resend and get new ones.
      await client.endAsync(!client.connected);
    },
  };
}

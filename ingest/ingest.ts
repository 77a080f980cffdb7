import { createHash, randomBytes } from 'node:crypto';
import type { IPoint } from 'influx';
import { printable } from '../runtime/printable.js';
import { agentTopic, decode, deliveryByKind, kindFilter, parseTopic, type DeadLetter } from '../protocol/index.js';
import { createInflux } from '../runtime/influx-client.js';
import { OncePerKind, type Logger } from '../runtime/log.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { BatchWriter } from './batch-writer.js';
import { siteTimeZone, type IngestConfig } from './config.js';
import { bonPoint, deadLetterPoint, visitsPoint, weighingPoint } from '../storage/points.js';
import { DateTime } from 'luxon';
import { rebuildRollups, rollupsMissing, sitesWithData } from '../storage/rollup-rebuild.js';
import { createRollupRetentionPolicy, rollupStatementsFor } from '../storage/rollups.js';
import { runStatements } from '../storage/run-statements.js';

interface ReceiptKey {
  site: string;
  agent: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The event id of a payload, if it has a readable one, so the agent can match the dead letter to its event. */
function readableId(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString()) as { id?: unknown })?.id;
    return typeof id === 'string' && UUID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface IngestStats {
  received: number;
  accepted: number;
  stored: number;
  deadLetters: number;
  refusedBufferFull: number;
  rejected: Record<string, number>;
  buffered: number;
}

export interface RunningIngest {
  stats(): IngestStats;
  stop(): Promise<void>;
}

/** Receipts are split so that none exceeds the schema's limit of ids per message. */
const RECEIPT_MAX_IDS = 5000;

/**
 * MQTT → zod → InfluxDB → receipt. A receipt is published only once InfluxDB has acknowledged the
 * write, so an agent forgets an event only when it is really stored. A malformed message is counted,
 * logged once per kind of fault, and dropped: it never blocks the valid ones around it.
 */
export async function startIngest(config: IngestConfig, log: Logger): Promise<RunningIngest> {
  const influx = createInflux(config.influx);
  const rejects = new OncePerKind(log);
  let received = 0;
  let accepted = 0;

  const ensureDatabase = async () => {
    await influx.createDatabase(config.influx.database);
    await runStatements(influx, [createRollupRetentionPolicy(config.influx.database)]);
  };
  const started = async () => {
    // Data written before rollups existed (an upgrade) would show as zeros: rebuild it once, in the background.
    const upgrade = await rollupsMissing(influx, config.influx.database);
    await ensureDatabase();
    if (!upgrade) return;
    const sites = await sitesWithData(influx);
    if (sites.length === 0) return;
    log.info({ sites }, 'first start with rollups: building them from the stored data');
    const range = { from: config.earliestCaptureAt.slice(0, 10), to: DateTime.now().plus({ days: 1 }).toISODate() as string };
    void rebuildRollups(influx, config.influx.database, (site) => siteTimeZone(config, site), sites, range, log).then(
      () => log.info({ sites }, 'rollups built from the stored data'),
      (err: Error) => log.error({ err: err.message }, 'rollups could not be built from the stored data; run `trebuchet rollup`'),
    );
  };
  await started().catch((err: Error) => log.warn({ err: err.message }, 'InfluxDB not reachable yet; writes will retry'));

  const client = connectMqtt(config.mqtt, 'ingest', { clientId: `trebuchet-ingest-${randomBytes(4).toString('hex')}` });

  const writer = new BatchWriter<ReceiptKey | undefined>({
    ...config.batch,
    log,
    async write(points: IPoint[]) {
      try {
        await influx.writePoints(points, { precision: 'n' });
      } catch (err) {
        // The database may have been dropped or InfluxDB started empty: create it, then retry this batch.
        if (/database not found/i.test((err as Error).message)) await ensureDatabase();
        throw err;
      }
      // Before the receipt: a crash here leaves the events unacknowledged, so they come back and the
      // days they touched are recomputed then.
      await runStatements(influx, rollupStatementsFor(points, config.influx.database, (site) => siteTimeZone(config, site)));
    },
    onWritten(keys) {
      const byAgent = new Map<string, ReceiptKey[]>();
      for (const k of keys) {
        if (!k) continue; // a dead-letter point: nobody waits for its receipt
        const group = `${k.site}/${k.agent}`;
        byAgent.set(group, [...(byAgent.get(group) ?? []), k]);
      }
      for (const group of byAgent.values()) {
        const ids = [...new Set(group.map((k) => k.id))];
        for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS) {
          const { site, agent } = group[0]!;
          client.publish(agentTopic(site, agent, 'receipt'), JSON.stringify({ v: 1, ids: ids.slice(i, i + RECEIPT_MAX_IDS) }), {
            qos: deliveryByKind.receipt.qos,
          });
        }
      }
    },
  });

  const share = (filter: string) => (config.sharedGroup ? `$share/${config.sharedGroup}/${filter}` : filter);
  client.on('connect', () => {
    client.subscribe([share(kindFilter('weighing')), share(kindFilter('visits')), share(kindFilter('bon')), kindFilter('status')], { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err: err?.message, granted }, 'ingest subscription refused');
      else log.info({ filters: granted?.map((g) => g.topic) }, 'ingest subscribed');
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT error'));

  /** Each agent's install date, from its retained status: nothing it captured can be older. */
  const installedAt = new Map<string, number>();
  const earliest = Date.parse(config.earliestCaptureAt);
  let deadLetters = 0;

  /**
   * Why a capture time cannot be true, or undefined when it can. A visits bucket is aligned on the clock,
   * so the first one after installation starts before it: what must follow the install is its end.
   */
  const implausibleTime = (at: string, site: string, agent: string, spanMs = 0): string | undefined => {
    const t = Date.parse(at);
    if (t > Date.now() + config.maxFutureMs) return `captured at ${at}, ahead of ingest's clock (${new Date().toISOString()}) by more than ${config.maxFutureMs / 1000} s`;
    const installed = installedAt.get(`${site}/${agent}`);
    if (installed !== undefined && t + spanMs <= installed) return `captured at ${at}, before the agent was installed (${new Date(installed).toISOString()})`;
    if (t < earliest) return `captured at ${at}, before ${config.earliestCaptureAt}: the agent's clock was wrong`;
    return undefined;
  };

  /**
   * A message that will never be stored: counted, logged once per kind of fault, kept as a dead-letter
   * point for audit, and answered to its agent so that it stops resending it.
   */
  const deadLetter = (kind: string, topic: string, payload: Buffer, reason: string) => {
    rejects.report(kind, { topic, reason }, 'message rejected');
    deadLetters++;
    const parsed = parseTopic(topic);
    const origin = parsed.ok ? { site: parsed.parts.site, agent: parsed.parts.agent } : undefined;
    const letter: DeadLetter = {
      v: 1,
      topic: topic.slice(0, 300),
      reason: reason.slice(0, 500),
      firstBytes: printable(payload.subarray(0, 64)),
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      at: new Date().toISOString(),
    };
    const id = readableId(payload);
    if (id) letter.id = id;
    writer.offer({ point: deadLetterPoint(origin, kind, letter), key: undefined });
    if (origin) client.publish(agentTopic(origin.site, origin.agent, 'deadletter'), JSON.stringify(letter), { qos: deliveryByKind.deadletter.qos });
  };

  client.on('message', (topic, payload) => {
    received++;
    const parsed = parseTopic(topic);
    if (!parsed.ok) return deadLetter('bad-topic', topic, payload, parsed.reason);
    const { site, agent, device, kind } = parsed.parts;
    if (kind === 'status') {
      const status = decode('status', payload);
      if (status.ok && status.value.installedAt) {
        // An install date in the future would refuse every event the agent sends (found by the chaos
        // suite, with a forged status): ignored. Of the plausible ones, the earliest is kept.
        const t = Date.parse(status.value.installedAt);
        const key = `${site}/${agent}`;
        if (t > Date.now() + config.maxFutureMs) rejects.report('implausible-install-date', { topic, installedAt: status.value.installedAt }, 'status ignored');
        else installedAt.set(key, Math.min(t, installedAt.get(key) ?? Infinity));
      }
      return;
    }
    let point: IPoint;
    let id: string;
    if (kind === 'weighing') {
      const msg = decode('weighing', payload);
      if (!msg.ok) return deadLetter('invalid-weighing', topic, payload, msg.reason);
      const late = implausibleTime(msg.value.capturedAt, site, agent);
      if (late) return deadLetter('implausible-time', topic, payload, late);
      point = weighingPoint({ site, agent, device }, msg.value);
      id = msg.value.id;
    } else if (kind === 'visits') {
      const msg = decode('visits', payload);
      if (!msg.ok) return deadLetter('invalid-visits', topic, payload, msg.reason);
      const late = implausibleTime(msg.value.bucketStart, site, agent, msg.value.bucketSeconds * 1000);
      if (late) return deadLetter('implausible-time', topic, payload, late);
      point = visitsPoint({ site, agent, device }, msg.value);
      id = msg.value.id;
    } else if (kind === 'bon') {
      const msg = decode('bon', payload);
      if (!msg.ok) return deadLetter('invalid-bon', topic, payload, msg.reason);
      const late = implausibleTime(msg.value.capturedAt, site, agent);
      if (late) return deadLetter('implausible-time', topic, payload, late);
      point = bonPoint({ site, agent }, msg.value);
      id = msg.value.id;
    } else {
      return deadLetter('unexpected-kind', topic, payload, `ingest does not store ${kind} messages`);
    }
    if (writer.offer({ point, key: { site, agent, id } })) accepted++;
    else rejects.report('buffer-full', { buffered: writer.buffered }, 'ingest buffer full; the agent will resend');
  });

  return {
    stats: () => ({
      received,
      accepted,
      stored: writer.stats.written,
      deadLetters,
      refusedBufferFull: writer.stats.refused,
      rejected: rejects.snapshot(),
      buffered: writer.buffered,
    }),
    async stop() {
      await writer.stop();
      // Without a broker, a graceful end waits forever for unsent receipts; the agents resend and get new ones.
      await client.endAsync(!client.connected);
    },
  };
}

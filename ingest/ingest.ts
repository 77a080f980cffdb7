import { randomBytes } from 'node:crypto';
import type { IPoint } from 'influx';
import { agentTopic, decode, deliveryByKind, kindFilter, parseTopic } from '../protocol/index.js';
import { createInflux } from '../runtime/influx-client.js';
import { OncePerKind, type Logger } from '../runtime/log.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { BatchWriter } from './batch-writer.js';
import type { IngestConfig } from './config.js';
import { visitsPoint, weighingPoint } from './points.js';

interface ReceiptKey {
  site: string;
  agent: string;
  id: string;
}

export interface IngestStats {
  received: number;
  accepted: number;
  stored: number;
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

  const ensureDatabase = () => influx.createDatabase(config.influx.database);
  await ensureDatabase().catch((err: Error) => log.warn({ err: err.message }, 'InfluxDB not reachable yet; writes will retry'));

  const client = connectMqtt(config.mqtt, 'ingest', { clientId: `trebuchet-ingest-${randomBytes(4).toString('hex')}` });

  const writer = new BatchWriter<ReceiptKey>({
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
    },
    onWritten(keys) {
      const byAgent = new Map<string, ReceiptKey[]>();
      for (const k of keys) {
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
    client.subscribe([share(kindFilter('weighing')), share(kindFilter('visits'))], { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err: err?.message, granted }, 'ingest subscription refused');
      else log.info({ filters: granted?.map((g) => g.topic) }, 'ingest subscribed');
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT error'));

  client.on('message', (topic, payload) => {
    received++;
    const parsed = parseTopic(topic);
    if (!parsed.ok) return rejects.report('bad-topic', { topic, reason: parsed.reason }, 'message rejected');
    const { site, agent, device, kind } = parsed.parts;
    let point: IPoint;
    let id: string;
    if (kind === 'weighing') {
      const msg = decode('weighing', payload);
      if (!msg.ok) return rejects.report(`invalid-weighing`, { topic, reason: msg.reason }, 'weighing rejected');
      point = weighingPoint({ site, agent, device }, msg.value);
      id = msg.value.id;
    } else if (kind === 'visits') {
      const msg = decode('visits', payload);
      if (!msg.ok) return rejects.report(`invalid-visits`, { topic, reason: msg.reason }, 'visits rejected');
      point = visitsPoint({ site, agent, device }, msg.value);
      id = msg.value.id;
    } else {
      return rejects.report('unexpected-kind', { topic }, 'message of a kind ingest does not store');
    }
    if (writer.offer({ point, key: { site, agent, id } })) accepted++;
    else rejects.report('buffer-full', { buffered: writer.buffered }, 'ingest buffer full; the agent will resend');
  });

  return {
    stats: () => ({
      received,
      accepted,
      stored: writer.stats.written,
      refusedBufferFull: writer.stats.refused,
      rejected: rejects.snapshot(),
      buffered: writer.buffered,
    }),
    async stop() {
      await writer.stop();
      await client.endAsync();
    },
  };
}

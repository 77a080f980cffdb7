import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { startIngest, type RunningIngest } from '../../ingest/ingest.js';
import { agentTopic, agentUsername, decode, deviceTopic, type DeadLetter } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { ROLLUPS } from '../../storage/rollups.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { waitFor } from '../helpers/wait.js';

const SITE = 'lilas';
/** The agent whose credentials the attacker holds, and an honest one of the same site. */
const INTRUDER = 'comptoir';
const HONEST = 'atelier';
const DB = 'trebuchet';

/** An agent's MQTT session: what it publishes, and the receipts and dead letters ingest sends back. */
interface Session {
  client: MqttClient;
  receipts: Set<string>;
  letters: DeadLetter[];
  weigh(w: { id?: string; seq?: number; capturedAt: string; netKg: number; category?: string }): Promise<string>;
  publish(payload: string): Promise<void>;
}

/**
 * The attacks of issue 13 on the contract's numbers, from outside MQTT clients holding an agent's
 * credentials, against the real broker, ingest and InfluxDB.
 */
describe('contract bounds: what a scale cannot weigh never reaches the figures', () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;
  let influx: InfluxDB;
  let intruder: Session;
  let honest: Session;
  const logLines: { level: number; msg: string; rollup?: string; site?: string }[] = [];

  async function session(agent: string): Promise<Session> {
    const username = agentUsername(SITE, agent);
    const client = await mqtt.connectAsync(broker.url, { username, clientId: username, password: readCredentials(broker.credentialsFile)!.mqtt[username]!.password, clean: true });
    const receipts = new Set<string>();
    const letters: DeadLetter[] = [];
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/deadletter')) {
        const letter = decode('deadletter', payload);
        if (letter.ok) letters.push(letter.value);
      } else {
        const receipt = decode('receipt', payload);
        if (receipt.ok) for (const id of receipt.value.ids) receipts.add(id);
      }
    });
    await client.subscribeAsync([agentTopic(SITE, agent, 'receipt'), agentTopic(SITE, agent, 'deadletter')], { qos: 1 });
    const topic = deviceTopic(SITE, agent, 'balance-1', 'weighing');
    const publish = async (payload: string) => void (await client.publishAsync(topic, payload, { qos: 1 }));
    return {
      client,
      receipts,
      letters,
      publish,
      async weigh({ id = randomUUID(), seq = 1, capturedAt, netKg, category = 'textile' }) {
        await publish(JSON.stringify({ v: 1, id, seq, capturedAt, clockSynced: true, netKg, direction: 'in', category, collectType: 'apport-volontaire', source: 'auto' }));
        return id;
      },
    };
  }

  /** The site's kilograms of a local day (Paris, winter: UTC+1) as the dashboards read them, from the daily rollup. */
  async function dayTotal(day: string): Promise<number> {
    const start = new Date(`${day}T00:00:00+01:00`);
    const end = new Date(start.getTime() + 86_400_000);
    const rows = await influx.query<{ sum: number }>(
      `SELECT sum("net_kg") FROM "${DB}"."rollups"."${ROLLUPS.weighingsByCategory.name}" WHERE "site" = '${SITE}' AND time >= '${start.toISOString()}' AND time < '${end.toISOString()}'`,
    );
    return rows[0]?.sum ?? 0;
  }

  const rawOf = (day: string) => influx.query<{ agent: string; net_kg: number; event_id: string }>(`SELECT agent, net_kg, event_id FROM weighing WHERE time >= '${day}T00:00:00+01:00' AND time < '${day}T23:59:59+01:00'`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-bounds-'));
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: SITE, agent: INTRUDER }, { site: SITE, agent: HONEST }] }), pino({ level: 'silent' }));
    const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    const mqttConn = { url: broker.url, credentialsFile: broker.credentialsFile, username: 'ingest' };
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: mqttConn, influx: { url: influxd.url, database: DB }, timeZone: 'Europe/Paris' }), log);
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: DB });
    intruder = await session(INTRUDER);
    honest = await session(HONEST);
  }, 120_000);

  afterAll(async () => {
    await intruder?.client.endAsync();
    await honest?.client.endAsync();
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("dead-letters two 1e308 kg weighings; the site's day total and the other agent's data stay whole", async () => {
    const day = '2025-02-10';
    const before = await honest.weigh({ capturedAt: `${day}T09:00:00.000Z`, netKg: 12.5 });
    await waitFor('the honest weighing stored', () => honest.receipts.has(before));

    // One at a time, so that without the bound the first rollup stores 1e308 and the second overflows.
    const first = await intruder.weigh({ capturedAt: `${day}T10:00:00.000Z`, netKg: 1e308 });
    await waitFor('the first refused', () => intruder.letters.some((l) => l.id === first) || intruder.receipts.has(first));
    const second = await intruder.weigh({ capturedAt: `${day}T10:00:01.000Z`, netKg: 1e308 });
    await waitFor('the second refused', () => intruder.letters.some((l) => l.id === second) || intruder.receipts.has(second));
    expect(intruder.receipts.has(first) || intruder.receipts.has(second)).toBe(false);
    for (const id of [first, second]) expect(intruder.letters.find((l) => l.id === id)?.reason).toMatch(/netKg: beyond the 100000 kg/);

    // The honest agent's next weighing of that day is counted as usual.
    const after = await honest.weigh({ capturedAt: `${day}T11:00:00.000Z`, netKg: 2 });
    await waitFor('the honest weighing stored', () => honest.receipts.has(after));
    expect((await rawOf(day)).map((r) => [r.agent, r.net_kg])).toEqual([
      [HONEST, 12.5],
      [HONEST, 2],
    ]);
    expect(await dayTotal(day)).toBe(14.5);
  });

  it('withholds the receipt and logs an error when InfluxDB runs a rollup short, then stores the resend once the bad point is gone', async () => {
    const day = '2025-03-12';
    // Two points that bypassed validation (written straight to InfluxDB): their sum overflows to +Inf.
    await influx.writePoints(
      [0, 1].map((i) => ({ measurement: 'weighing', tags: { site: SITE, agent: 'importe', device: 'x', direction: 'in', category: 'textile', entry: 'normal', source: 'manual', collect_type: 'apport-volontaire' }, fields: { net_kg: 1e308 }, timestamp: new Date(`${day}T08:0${i}:00.000Z`) })),
    );
    const withheld = ingest.stats().receiptsWithheld;
    const payload = { capturedAt: `${day}T09:00:00.000Z`, netKg: 4, category: 'livres' };
    const poisoned = await honest.weigh(payload);
    await waitFor('ingest to withhold a receipt', () => ingest.stats().receiptsWithheld > withheld);
    expect(logLines.find((l) => l.level === 50 && /rollup ran short/.test(l.msg))).toMatchObject({ rollup: ROLLUPS.weighingsByCategory.name, site: SITE });

    // A later batch of the same agent gets its receipt: the poisoned one got none before it.
    const sentinel = await honest.weigh({ capturedAt: '2025-04-01T09:00:00.000Z', netKg: 1 });
    await waitFor('the next weighing stored', () => honest.receipts.has(sentinel));
    expect(honest.receipts.has(poisoned)).toBe(false);

    // The operator removes the bad points; the agent's resend is then stored and acknowledged, counted once.
    await influx.query(`DELETE FROM weighing WHERE "agent" = 'importe'`);
    await honest.weigh({ ...payload, id: poisoned });
    await waitFor('the resend stored', () => honest.receipts.has(poisoned));
    expect(await dayTotal(day)).toBe(4);
  });

  it('stores one point for one event id sent with two sequence numbers', async () => {
    const day = '2025-01-21';
    const id = randomUUID();
    const capturedAt = `${day}T09:30:00.000Z`;
    await intruder.weigh({ id, seq: 1, capturedAt, netKg: 3 });
    await intruder.weigh({ id, seq: 2, capturedAt, netKg: 200 });
    // Published after both on the same session: once its receipt is back, both have been written.
    const sentinel = await intruder.weigh({ capturedAt: '2025-12-01T09:00:00.000Z', netKg: 1 });
    await waitFor('both written', () => intruder.receipts.has(sentinel));
    const rows = await rawOf(day);
    expect(rows.map((r) => r.event_id)).toEqual([id]);
    expect(await dayTotal(day)).toBe(rows[0]!.net_kg);
  });
});

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { InfluxDB } from 'influx';
import { DateTime } from 'luxon';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { LiveHub } from '../../dashboards/api/live-stream.js';
import { startAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { DurableOutbox } from '../../edge-agent/outbox/durable-outbox.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { BATCH_OFFER } from '../../ingest/offer.js';
import { startIngest, type RunningIngest } from '../../ingest/ingest.js';
import { agentTopic, agentUsername, batchMessages, decode, deviceTopic, type Accepts, type DeadLetter, type Weighing } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { ROLLUPS } from '../../storage/rollups.js';
import { weighingAt } from '../helpers/events.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { waitFor } from '../helpers/wait.js';

const SITE = 'lilas';
const DB = 'trebuchet';
const DAY = '2025-05-12';
/**
 * The first test counts every message ingest receives, so nothing may be resent: longer than any drain of its
 * backlog can take. The others resend what a refused batch held, quickly.
 */
const RECEIPT_WAIT_MS = 60_000;
const QUICK_RESEND_MS = 500;
/** Local noon of DAY, Paris in summer. */
const NOON = DateTime.fromISO(`${DAY}T12:00:00`, { zone: 'Europe/Paris' });

/**
 * An agent's backlog as an outage leaves it on disk (`weighings` queued in its outbox before it starts),
 * drained: the agent runs until every event has left its outbox, then stops. What it logged meanwhile.
 */
async function drainBacklog(dir: string, broker: RunningBroker, agent: string, weighings: Weighing[], receiptTimeoutMs: number): Promise<{ msg: string }[]> {
  const dataDir = join(dir, agent);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'identity.json'), JSON.stringify({ installedAt: '2025-01-01T00:00:00.000Z' }));
  const outbox = await DurableOutbox.open(join(dataDir, 'outbox'));
  const topic = deviceTopic(SITE, agent, 'balance-1', 'weighing');
  for (const w of weighings) await outbox.append({ id: w.id, topic, payload: JSON.stringify(w), acceptedAt: Date.parse(w.capturedAt) });
  await outbox.close();
  const logs: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const running = await startAgent(
    agentConfigSchema.parse({
      site: SITE,
      agent,
      dataDir,
      clock: 'assume-synced',
      mqtt: { url: broker.url, username: agentUsername(SITE, agent), credentialsFile: broker.credentialsFile },
      http: { port: 0 },
      receipts: { timeoutMs: receiptTimeoutMs, maxBackoffMs: Math.max(1000, receiptTimeoutMs) },
    }),
    log,
  );
  try {
    await waitFor('the backlog drained', () => running.pending.depth === 0, 120_000);
  } finally {
    await running.stop();
  }
  return logs;
}

/** A backlog of a day at the counter: grams that add up exactly. */
const backlog = (count: number) => Array.from({ length: count }, (_, i) => weighingAt(NOON.plus({ seconds: i * 17 }), 0.1 + (i % 250) / 1000, 'textile'));

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('batches: an agent offered them sends its backlog so, each event still its own', () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;
  let influx: InfluxDB;
  let http: FastifyInstance;
  let dashboardsMqtt: MqttClient;
  let hub: LiveHub;
  const streamed = new Set<string>();
  let stopStream: (() => void) | undefined;

  const password = (user: string) => readCredentials(broker.credentialsFile)!.mqtt[user]!.password;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-batches-'));
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: join(dir, 'broker'), agents: ['comptoir', 'atelier'].map((agent) => ({ site: SITE, agent })) }), pino({ level: 'silent' }));
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { url: broker.url, credentialsFile: broker.credentialsFile, username: 'ingest' }, influx: { url: influxd.url, database: DB } }), pino({ level: 'silent' }));
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: DB });

    // The dashboards' live stream, over real HTTP: what a browser sees of a backlog sent in batches.
    dashboardsMqtt = await mqtt.connectAsync(broker.url, { username: 'dashboards', clientId: 'dashboards:test', password: password('dashboards') });
    hub = new LiveHub(dashboardsMqtt, pino({ level: 'silent' }), { sites: [SITE] });
    http = Fastify();
    http.get('/live', (_req, reply) => hub.add(reply));
    const url = await http.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/live`);
    const reader = res.body!.getReader();
    stopStream = () => void reader.cancel().catch(() => {});
    void (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
        for (const m of text.matchAll(/event: weighing\ndata: (.*)\n/g)) streamed.add((JSON.parse(m[1]!) as { id: string }).id);
        text = text.slice(text.lastIndexOf('\n\n') + 1);
      }
    })().catch(() => {});
  }, 120_000);

  afterAll(async () => {
    stopStream?.();
    await http?.close();
    await dashboardsMqtt?.endAsync();
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drains a backlog in batches: every event stored once, its day exact to the gram, a bad one dead-lettered alone, the live stream shows the newest', async () => {
    const weighings = backlog(1200);
    // Before the agent was installed, before any plausible date: refused, and only it.
    const impossible = weighingAt(DateTime.fromISO('2019-06-01T10:00:00Z'), 3, 'textile');
    const logs = await drainBacklog(dir, broker, 'comptoir', [...weighings.slice(0, 600), impossible, ...weighings.slice(600)], RECEIPT_WAIT_MS);
    const stats = ingest.stats();
    // 1,201 events in three batches of at most 500: no event went alone.
    expect(stats).toMatchObject({ received: 1201, batches: 3, deadLetters: 1, rejected: { 'implausible-time': 1 } });
    expect(logs.map((l) => l.msg)).toContain('ingest accepts batches: events due together are sent in batches');

    const [count] = await influx.query<{ count: number }>(`SELECT count("net_kg") FROM "weighing" WHERE "agent" = 'comptoir'`);
    expect(count?.count).toBe(1200);
    const grams = weighings.reduce((g, w) => g + Math.round(w.netKg * 1000), 0);
    const [day] = await influx.query<{ sum: number }>(
      `SELECT sum("net_kg") FROM "${DB}"."rollups"."${ROLLUPS.weighingsByCategory.name}" WHERE "site" = '${SITE}' AND time >= '${NOON.startOf('day').toUTC().toISO()}' AND time < '${NOON.endOf('day').toUTC().toISO()}' tz('Europe/Paris')`,
    );
    expect(Math.round(day!.sum * 1000)).toBe(grams);

    // The refused event left the outbox for the agent's dead-letter file, with ingest's reason.
    const letters = readFileSync(join(dir, 'comptoir', 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter & { payload: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: impossible.id, topic: deviceTopic(SITE, 'comptoir', 'balance-1', 'weighing'), payload: JSON.stringify(impossible) });
    expect(letters[0]!.reason).toMatch(/captured at 2019-06-01/);

    // The stream carries each batch's 20 newest weighings (the last of the backlog among them), and its client stays.
    await waitFor("the live stream saw the batches' newest weighings", () => streamed.size === 60);
    expect(streamed.has(weighings.at(-1)!.id)).toBe(true);
    expect(hub.stats().slowClientsDropped).toBe(0);
  });

  describe('an outside client speaking the contract by hand', () => {
    let client: MqttClient;
    const receipts = new Set<string>();
    const letters: DeadLetter[] = [];
    const offers: Accepts[] = [];
    const topic = deviceTopic(SITE, 'atelier', 'balance-1', 'weighing');

    beforeAll(async () => {
      const username = agentUsername(SITE, 'atelier');
      client = await mqtt.connectAsync(broker.url, { username, clientId: username, password: password(username) });
      client.on('message', (t, payload) => {
        if (t.endsWith('/receipt')) {
          const r = decode('receipt', payload);
          if (r.ok) for (const id of r.value.ids) receipts.add(id);
        } else if (t.endsWith('/deadletter')) {
          const l = decode('deadletter', payload);
          if (l.ok) letters.push(l.value);
        } else {
          const o = decode('accepts', payload);
          if (o.ok) offers.push(o.value);
        }
      });
    });

    afterAll(async () => {
      await client?.endAsync();
    });

    it('a v1 agent, sending one message per event and not listening for offers, is stored as before', async () => {
      await client.subscribeAsync([agentTopic(SITE, 'atelier', 'receipt'), agentTopic(SITE, 'atelier', 'deadletter')], { qos: 1 });
      const events = backlog(20);
      await client.publishAsync(agentTopic(SITE, 'atelier', 'status'), JSON.stringify({ v: 1, state: 'online' }), { qos: 1, retain: true });
      await Promise.all(events.map((w) => client.publishAsync(topic, JSON.stringify(w), { qos: 1 })));
      await waitFor('receipts for every single message', () => events.every((w) => receipts.has(w.id)));
    });

    it('is offered batches once it says it is online, within the contract', async () => {
      await client.subscribeAsync(agentTopic(SITE, 'atelier', 'accepts'), { qos: 1 });
      await client.publishAsync(agentTopic(SITE, 'atelier', 'status'), JSON.stringify({ v: 1, state: 'online' }), { qos: 1, retain: true });
      await waitFor('the offer', () => offers.length > 0);
      expect(offers[0]).toEqual({ v: 1, batch: BATCH_OFFER });
    });

    it('judges every item of a batch on its own: the good ones receipted, each bad one dead-lettered with its own topic and hash', async () => {
      const good = backlog(3);
      const tooHeavy = { ...weighingAt(NOON, 1, 'textile'), netKg: 1e308 };
      const items = [
        { topic, payload: JSON.stringify(good[0]) },
        { topic, payload: JSON.stringify(tooHeavy) },
        { topic: deviceTopic(SITE, 'atelier', 'balance-1', 'live'), payload: JSON.stringify({ v: 1, t: NOON.toISO(), kg: 2, state: 'stable' }) },
        { topic, payload: JSON.stringify(good[1]) },
      ];
      const [message, ...more] = batchMessages(SITE, 'atelier', items, { maxEvents: 10, maxBytes: 64 * 1024 });
      expect(more).toEqual([]);
      // An item whose device would leave the agent's prefix, as no agent builds one: its own topic is refused.
      const envelope = JSON.parse(message!.payload) as { events: unknown[] };
      const escape = { device: '../x', kind: 'weighing', payload: JSON.stringify(good[2]) };
      envelope.events.push(escape);
      const batched = ingest.stats().batches;
      await client.publishAsync(message!.topic, JSON.stringify(envelope), { qos: 1 });
      await waitFor('receipts for the good items', () => receipts.has(good[0]!.id) && receipts.has(good[1]!.id));
      await waitFor('three dead letters', () => letters.length >= 3);
      expect(ingest.stats().batches).toBe(batched + 1);

      const heavy = letters.find((l) => l.id === tooHeavy.id);
      expect(heavy).toMatchObject({ topic, payloadSha256: sha256(items[1]!.payload) });
      expect(heavy!.reason).toMatch(/netKg/);
      const live = letters.find((l) => l.topic === items[2]!.topic);
      expect(live!.reason).toBe('a batch carries only weighing, visits, bon events, not live');
      expect(live!.payloadSha256).toBe(sha256(items[2]!.payload));
      const escaped = letters.find((l) => l.topic === 'tb/v1/lilas/atelier/../x/weighing');
      expect(escaped).toMatchObject({ id: good[2]!.id, payloadSha256: sha256(escape.payload) });
      expect(escaped!.reason).toMatch(/is not of the form/);
      expect(receipts.has(tooHeavy.id) || receipts.has(good[2]!.id)).toBe(false);
    });

    it('dead-letters a malformed envelope as a whole, with no event id, and goes on', async () => {
      const before = letters.length;
      await client.publishAsync(agentTopic(SITE, 'atelier', 'batch'), '{"v":1,"events":[', { qos: 1 });
      await client.publishAsync(agentTopic(SITE, 'atelier', 'batch'), JSON.stringify({ v: 1, events: [{ device: 'balance-1', kind: 'weighing', payload: '{}', extra: 1 }] }), { qos: 1 });
      await waitFor('two dead letters', () => letters.length >= before + 2);
      expect(letters.slice(before).map((l) => [l.topic, l.id, l.reason])).toEqual([
        [agentTopic(SITE, 'atelier', 'batch'), undefined, 'payload is not JSON'],
        [agentTopic(SITE, 'atelier', 'batch'), undefined, expect.stringMatching(/events\.0: Unrecognized key/)],
      ]);
      const after = backlog(1)[0]!;
      await client.publishAsync(topic, JSON.stringify(after), { qos: 1 });
      await waitFor('the next event stored', () => receipts.has(after.id));
    });
  });
});

describe('batches with an ingest that does not take them', () => {
  let dir: string;
  let broker: RunningBroker;
  let older: MqttClient;
  /** What the stand-in ingest received, per agent: single events and batches. */
  const seen = new Map<string, { singles: Set<string>; batches: number }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-batches-old-'));
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: join(dir, 'broker'), agents: ['melange', 'ancien'].map((agent) => ({ site: SITE, agent })) }), pino({ level: 'silent' }));
    // An ingest of two versions at once, as during a rolling upgrade on a shared subscription: a newer
    // instance offered batches to `melange`, and this older one takes its batches, refusing them as the
    // version before batches did (their kind unknown). `ancien` is offered nothing. Single events get receipts.
    older = await mqtt.connectAsync(broker.url, { username: 'ingest', clientId: 'ingest:older', password: readCredentials(broker.credentialsFile)!.mqtt.ingest!.password });
    older.on('message', (topic, payload) => {
      const [, , site, agent, , kind] = topic.split('/') as string[];
      const mine = seen.get(agent!) ?? { singles: new Set(), batches: 0 };
      seen.set(agent!, mine);
      if (kind === 'status') {
        const s = decode('status', payload);
        if (s.ok && s.value.state === 'online' && agent === 'melange') older.publish(agentTopic(site!, agent, 'accepts'), JSON.stringify({ v: 1, batch: { maxEvents: 50, maxBytes: 65536 } }), { qos: 1 });
      } else if (kind === 'batch') {
        mine.batches++;
        const letter: DeadLetter = { v: 1, topic, reason: `kind "batch" is not one of bon, status, health, receipt, deadletter for _agent`, firstBytes: '', at: new Date().toISOString() };
        older.publish(agentTopic(site!, agent!, 'deadletter'), JSON.stringify(letter), { qos: 1 });
      } else {
        const id = (JSON.parse(payload.toString()) as { id: string }).id;
        mine.singles.add(id);
        older.publish(agentTopic(site!, agent!, 'receipt'), JSON.stringify({ v: 1, ids: [id] }), { qos: 1 });
      }
    });
    await older.subscribeAsync(['tb/v1/+/+/+/weighing', 'tb/v1/+/+/_agent/batch', 'tb/v1/+/+/_agent/status'], { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await older?.endAsync();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('goes back to one message per event when a batch is refused whole, and loses nothing', async () => {
    const weighings = backlog(120);
    const logs = await drainBacklog(dir, broker, 'melange', weighings, QUICK_RESEND_MS);
    const mine = seen.get('melange')!;
    expect(mine.batches).toBeGreaterThan(0);
    expect(weighings.every((w) => mine.singles.has(w.id))).toBe(true);
    expect(logs.map((l) => l.msg)).toContain('ingest refused a batch: sending one message per event until it offers batches again');
    // Refused as a batch is not refused as an event: nothing went to the agent's dead-letter file.
    expect(() => readFileSync(join(dir, 'melange', 'dead-letters.jsonl'))).toThrow(/ENOENT/);
  });

  it('sends one message per event to an ingest that never offers batches', async () => {
    const weighings = backlog(40);
    const logs = await drainBacklog(dir, broker, 'ancien', weighings, QUICK_RESEND_MS);
    expect(seen.get('ancien')).toMatchObject({ batches: 0 });
    expect(weighings.every((w) => seen.get('ancien')!.singles.has(w.id))).toBe(true);
    expect(logs.map((l) => l.msg)).not.toContain('ingest accepts batches: events due together are sent in batches');
  });
});

describe('batches turned off at ingest (offerBatches: false)', () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-batches-off-'));
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: join(dir, 'broker'), agents: [{ site: SITE, agent: 'comptoir' }] }), pino({ level: 'silent' }));
    const mqttConn = { url: broker.url, credentialsFile: broker.credentialsFile, username: 'ingest' };
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: mqttConn, influx: { url: influxd.url, database: DB }, offerBatches: false }), pino({ level: 'silent' }));
  }, 120_000);

  afterAll(async () => {
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers nothing, so a backlog comes one message per event, all stored', async () => {
    const logs = await drainBacklog(dir, broker, 'comptoir', backlog(30), RECEIPT_WAIT_MS);
    expect(ingest.stats()).toMatchObject({ received: 30, batches: 0, stored: 30 });
    expect(logs.map((l) => l.msg)).not.toContain('ingest accepts batches: events due together are sent in batches');
  });
});

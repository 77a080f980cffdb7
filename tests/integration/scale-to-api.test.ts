import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollecteReport } from '../../dashboards/reports/report-types.js';
import type { Clock } from '../../edge-agent/clock.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { agentUsername, deviceTopic, type Weighing } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { startTestStack } from '../helpers/up-stack.js';
import { waitFor } from '../helpers/wait.js';
import { createInflux } from '../../runtime/influx-client.js';

/** A clock the test sets: weighings are captured at chosen local times (DST nights). */
class TestClock implements Clock {
  constructor(private t: number) {}
  set(iso: string) {
    this.t = Date.parse(iso);
  }
  now = () => this.t;
  synced = () => true;
}

const SITE = 'paris-11';
const AGENT = 'comptoir';
const DEVICE = 'balance-1';

describe('a weighing from a serial scale to the API (socat pty → agent → aedes → ingest → influxd → dashboards)', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let pty: PtyPair;
  const scale = new SimulatedStgsScale({ format: 'ad-indicator', intervalMs: 50, settleMs: [150, 300] });
  const clock = new TestClock(Date.parse('2026-03-28T10:00:00Z'));

  beforeAll(async () => {
    pty = await createPtyPair();
    await pty.attach(scale);
    scale.start();
    stack = await startTestStack(
      {
        site: { id: SITE, name: 'Ressourcerie test', timeZone: 'Europe/Paris' },
        agent: AGENT,
        devices: [
          {
            id: DEVICE,
            type: 'scale',
            driver: 'stgs',
            transport: { type: 'serial', path: pty.devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
            stgs: { format: 'auto', maxLineBytes: 256 },
            weighing: { capture: 'continuous', minKg: 0.2, rearmBelowKg: 0.05, direction: 'in', defaultCategory: 'autre', collectType: 'apport-volontaire' },
            live: { maxHz: 5 },
          },
        ],
      },
      { agentClock: clock },
    );
  });

  afterAll(async () => {
    await stack?.stop();
    scale.stop();
    await pty?.close();
  });

  async function weigh(localIsoUtc: string, kg: number, category: string): Promise<Weighing> {
    await waitFor('the agent to be armed (scale back at zero)', () => stack.agent.devices.describeScales()[0]?.phase === 'armed');
    clock.set(localIsoUtc);
    const res = await fetch(`${stack.agent.httpUrl}/api/v1/devices/${DEVICE}/category`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category }),
    });
    expect(res.status).toBe(200);
    const taken = once(stack.agent.events, 'weighing') as Promise<[Weighing]>;
    scale.load(kg);
    const [w] = await taken;
    scale.unload();
    return w;
  }

  async function daily(from: string, to: string) {
    const { status, body } = await stack.dashboardsApi<CollecteReport>('GET', `/api/v1/reports/collecte?from=${from}&to=${to}&bucket=day&site=${SITE}`);
    expect(status).toBe(200);
    return { days: body.buckets.map((b) => ({ date: b.start, totalKg: b.totalKg, byCategory: b.byCategory })) };
  }

  it('stores each stable load once, on its local day, across both DST changes', async () => {
    // Spring forward (29 March 2026, 02:00 → 03:00): 23:30 local is 21:30 UTC.
    const a = await weigh('2026-03-29T21:30:00Z', 12.34, 'textile');
    // 00:30 local on the 30th is still the 29th in UTC.
    await weigh('2026-03-29T22:30:00Z', 5.5, 'livres');
    // 00:30 local on the 29th, before the change, is the 28th in UTC.
    await weigh('2026-03-28T23:30:00Z', 2.25, 'textile');
    // Fall back (25 October 2026, 03:00 → 02:00): 23:30 local is 22:30 UTC.
    await weigh('2026-10-25T22:30:00Z', 7.77, 'deee');
    await weigh('2026-10-25T23:30:00Z', 1.11, 'deee');
    expect(a).toMatchObject({ netKg: 12.34, category: 'textile', collectType: 'apport-volontaire', direction: 'in', source: 'auto', capturedAt: '2026-03-29T21:30:00.000Z' });

    // Every event gets its receipt, i.e. InfluxDB holds it.
    await waitFor('receipts for every weighing', () => stack.agent.pending.depth === 0);

    const spring = await daily('2026-03-28', '2026-03-30');
    expect(spring.days.map((d) => [d.date, d.totalKg])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 14.59],
      ['2026-03-30', 5.5],
    ]);
    expect(spring.days[1]!.byCategory).toMatchObject({ textile: 14.59 });
    expect(spring.days[2]!.byCategory).toMatchObject({ livres: 5.5 });

    const autumn = await daily('2026-10-25', '2026-10-26');
    expect(autumn.days.map((d) => [d.date, d.totalKg])).toEqual([
      ['2026-10-25', 7.77],
      ['2026-10-26', 1.11],
    ]);
  });

  it('ingest survives malformed payloads and still stores valid ones, once, even when resent', async () => {
    const user = agentUsername(SITE, AGENT);
    const password = readCredentials(stack.credentialsFile)!.mqtt[user]!.password;
    // A second session of the agent's own user, as a buggy firmware would publish.
    const client = await mqtt.connectAsync(stack.brokerUrl, { username: user, password, clientId: `${user}:rogue-firmware` });
    const topic = deviceTopic(SITE, AGENT, DEVICE, 'weighing');
    const valid = {
      v: 1,
      id: '7d0c6a38-8a2e-4f0e-9d55-1d2b3c4d5e6f',
      seq: 1,
      capturedAt: '2026-05-01T10:00:00.000Z',
      clockSynced: true,
      netKg: 3.21,
      direction: 'in',
      category: 'jouets',
      collectType: 'apport-volontaire',
      source: 'auto',
    };
    const garbage = [Buffer.from([0x00, 0xff, 0x02]), '{', '{"v":1}', JSON.stringify({ ...valid, netKg: 'heavy' }), JSON.stringify({ ...valid, extra: true }), 'null', '[]', '9'.repeat(10_000)];
    for (const g of garbage) await client.publishAsync(topic, g, { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(valid), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(valid), { qos: 1 }); // a resend
    await client.endAsync();

    await waitFor('ingest to have counted every message', () => stack.ingest.stats().received >= garbage.length + 2);
    await waitFor('the valid one stored', () => stack.ingest.stats().stored >= 7 && stack.ingest.stats().buffered === 0);
    const stats = stack.ingest.stats();
    expect(stats.rejected['invalid-weighing']).toBe(garbage.length);
    expect(stats.deadLetters).toBe(garbage.length);

    const influx = createInflux(stack.influx);
    const rows = await influx.query<{ event_id: string }>(`SELECT event_id, net_kg FROM weighing WHERE time >= '2026-05-01T00:00:00Z' AND time < '2026-05-02T00:00:00Z'`);
    expect(rows.map((r) => r.event_id)).toEqual([valid.id]);
    const all = await influx.query<{ count: number }>('SELECT count(net_kg) FROM weighing');
    expect(all[0]?.count).toBe(6); // five from the scale, one from MQTT: no garbage, no duplicate
    // …but every refused message is kept for audit, with its reason and first bytes.
    const letters = await influx.query<{ reason: string; first_bytes: string }>(`SELECT reason, first_bytes FROM dead_letters WHERE kind = 'invalid-weighing'`);
    expect(letters).toHaveLength(garbage.length);
    expect(letters.map((l) => l.reason)).toContain('payload is not JSON');
    expect(letters.map((l) => l.first_bytes)).toContain('<00><FF><02>');
  });

  it('refuses an event captured before the agent was installed; the agent keeps it in its dead-letter file and stops resending it', async () => {
    // The Pi's clock jumps back years (no RTC, no network): the scale's weighing gets an impossible time.
    const w = await weigh('2019-06-01T10:00:00Z', 4.44, 'jouets');
    await waitFor('the dead letter back at the agent', () => stack.agent.pending.depth === 0);
    const file = join(stack.dataDir, 'agent', 'dead-letters.jsonl');
    const kept = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id?: string; reason: string; payload: string | null });
    const letter = kept.find((k) => k.id === w.id);
    expect(letter?.reason).toMatch(/before the agent was installed/);
    expect(JSON.parse(letter!.payload!)).toMatchObject({ id: w.id, netKg: 4.44 });
    const influx = createInflux(stack.influx);
    expect(await influx.query(`SELECT net_kg FROM weighing WHERE event_id = '${w.id}'`)).toHaveLength(0);
    const ahead = await weigh(new Date(Date.now() + 3_600_000).toISOString(), 1.5, 'jouets');
    await waitFor('the second dead letter', () => stack.agent.pending.depth === 0);
    expect(readFileSync(file, 'utf8')).toContain(ahead.id);
    expect(readFileSync(file, 'utf8')).toMatch(/ahead of ingest's clock/);
  });

  it('stores a visits bucket that started before the install but ended after it, and refuses one that ended before', async () => {
    // The agent was installed at 2026-03-28T10:00:00Z (its test clock at first start); buckets are aligned on the minute.
    const user = agentUsername(SITE, AGENT);
    const password = readCredentials(stack.credentialsFile)!.mqtt[user]!.password;
    const client = await mqtt.connectAsync(stack.brokerUrl, { username: user, password, clientId: `${user}:door-firmware` });
    const topic = deviceTopic(SITE, AGENT, 'porte', 'visits');
    const bucket = (id: string, bucketStart: string) => JSON.stringify({ v: 1, id, seq: 1, bucketStart, bucketSeconds: 60, clockSynced: true, in: 3, out: 1 });
    const before = stack.ingest.stats();
    await client.publishAsync(topic, bucket('0b9d1a2e-3c4d-4e5f-8a6b-7c8d9e0f1a2b', '2026-03-28T09:59:30.000Z'), { qos: 1 });
    await client.publishAsync(topic, bucket('1c0e2b3f-4d5e-4f60-9b7c-8d9e0f1a2b3c', '2026-03-28T09:58:00.000Z'), { qos: 1 });
    await client.endAsync();
    await waitFor('the refused one', () => stack.ingest.stats().deadLetters > before.deadLetters);
    const influx = createInflux(stack.influx);
    // The dead letter's own point counts as stored too: wait for the bucket itself.
    const rows = await waitFor('the stored bucket', async () => {
      const r = await influx.query<{ event_id: string }>(`SELECT event_id FROM visits WHERE device = 'porte'`);
      return r.length > 0 && r;
    });
    expect(rows.map((r) => r.event_id)).toEqual(['0b9d1a2e-3c4d-4e5f-8a6b-7c8d9e0f1a2b']);
  });
});

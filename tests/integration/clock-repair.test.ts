import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import type { Clock } from '../../edge-agent/clock.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedStgsScale } from '../../firmware-sim/stgs/simulated-stgs-scale.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { startIngest, type RunningIngest } from '../../ingest/ingest.js';
import { agentUsername } from '../../protocol/index.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' });
const FIFTY_YEARS_MS = 50 * 365 * 24 * 3600_000;

/** A Pi that boots offline: its wall clock is decades behind until NTP synchronises it. */
class BootClock implements Clock {
  isSynced = false;
  now = () => (this.isSynced ? Date.now() : Date.now() - FIFTY_YEARS_MS);
  synced = () => this.isSynced;
}

describe('a Pi without RTC that boots offline', () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;
  let agent: RunningAgent;
  let server: TcpSerialServer;
  const scale = new SimulatedStgsScale({ intervalMs: 50, settleMs: [100, 200] });
  const clock = new BootClock();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-clock-'));
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: 'lilas', agent: 'comptoir' }] }), log);
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { url: broker.url, username: 'ingest', credentialsFile: broker.credentialsFile }, influx: { url: influxd.url } }), log);
    server = await TcpSerialServer.listen(scale);
    scale.start();
    agent = await startAgent(
      agentConfigSchema.parse({
        site: 'lilas',
        agent: 'comptoir',
        dataDir: join(dir, 'agent'),
        mqtt: { url: broker.url, username: agentUsername('lilas', 'comptoir'), credentialsFile: broker.credentialsFile },
        http: { port: 0 },
        devices: [{ id: 'balance-1', type: 'scale', driver: 'stgs', transport: { type: 'tcp', host: '127.0.0.1', port: server.port }, weighing: { capture: 'continuous' } }],
      }),
      log,
      { clock },
    );
  });

  afterAll(async () => {
    await agent?.stop();
    scale.stop();
    await server?.close();
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what it weighs before the clock is set, then sends it with the time repaired from the monotonic clock', async () => {
    await waitFor('the scale at zero', () => agent.devices.describeScales()[0]?.phase === 'armed');
    const realCapture = Date.now();
    scale.load(6.66);
    const typed = await fetch(`${agent.httpUrl}/api/v1/weighings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device: 'balance-1', netKg: 3.33, category: 'livres' }),
    });
    expect(typed.status).toBe(201); // accepted (in the outbox) even though the clock is wrong
    await waitFor('both weighings accepted', () => agent.pending.depth === 2);

    // Held, not sent: a 1976 timestamp would be refused, and a wrong time is worse than a late one.
    await new Promise((r) => setTimeout(r, 1500));
    expect(agent.pending.depth).toBe(2);
    expect(ingest.stats().accepted).toBe(0);

    clock.isSynced = true; // NTP answers
    await waitFor('both stored', () => agent.pending.depth === 0, 15_000);
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'trebuchet' });
    const rows = await influx.query<{ time: Date; net_kg: number; clock_synced: boolean; clock_repaired: boolean }>(
      'SELECT net_kg, clock_synced, clock_repaired FROM weighing ORDER BY time',
    );
    expect(rows.map((r) => [r.net_kg, r.clock_synced, r.clock_repaired])).toEqual(
      expect.arrayContaining([
        [6.66, false, true],
        [3.33, false, true],
      ]),
    );
    for (const r of rows) expect(Math.abs(r.time.getTime() - realCapture)).toBeLessThan(5000);
    expect(ingest.stats().deadLetters).toBe(0);
  });
});

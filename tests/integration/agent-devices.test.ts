import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../../firmware-sim/counters/simulated-serial-counter.js';
import { SimulatedModbusCounter } from '../../firmware-sim/modbus/counter.js';
import { serveModbusTcp, type RunningServer } from '../../firmware-sim/modbus/servers.js';
import { SimulatedModbusIndicator } from '../../firmware-sim/modbus/weighing-indicator.js';
import { startIngest, type RunningIngest } from '../../ingest/ingest.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { agentUsername, type Visits, type Weighing } from '../../protocol/index.js';
import { startInfluxd, type RunningInfluxd } from '../helpers/influxd.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' });
const SITE = 'lilas';
const AGENT = 'comptoir';

/**
 * Door counters and a Modbus indicator through the real agent, broker, ingest and InfluxDB: every visitor
 * the simulators counted is stored exactly once, across an agent restart with people coming in meanwhile.
 */
describe('counters and a Modbus indicator, from the device to InfluxDB', () => {
  let dir: string;
  let influxd: RunningInfluxd;
  let broker: RunningBroker;
  let ingest: RunningIngest;
  let agent: RunningAgent | undefined;
  let modbus: RunningServer;
  let counterServer: TcpSerialServer;
  const serialCounter = new SimulatedSerialCounter({ intervalMs: 100, customersPerDay: 0, seed: 5 });
  const modbusCounter = new SimulatedModbusCounter({ in: { register: 0, kind: 'input', type: 'uint16' }, out: { register: 1, kind: 'input', type: 'uint16' } });
  const indicator = new SimulatedModbusIndicator({ preset: 'dini-argeo-dgt4x', settleMs: [100, 200] });
  let modbusPort: number;

  const config = () =>
    agentConfigSchema.parse({
      site: SITE,
      agent: AGENT,
      dataDir: join(dir, 'agent'),
      mqtt: { url: broker.url, username: agentUsername(SITE, AGENT), credentialsFile: broker.credentialsFile },
      http: { port: 0 },
      receipts: { timeoutMs: 1000 },
      modbus: { buses: [{ id: 'quai', transport: { type: 'tcp', host: '127.0.0.1', port: modbusPort } }] },
      devices: [
        { id: 'porte-serie', type: 'counter', driver: 'serial-counter', transport: { type: 'tcp', host: '127.0.0.1', port: counterServer.port }, visits: { bucketSeconds: 2 } },
        { id: 'porte-modbus', type: 'counter', driver: 'modbus-counter', visits: { bucketSeconds: 2 }, modbus: { bus: 'quai', unitId: 2, pollMs: 100, in: { register: 0, kind: 'input', type: 'uint16' }, out: { register: 1, kind: 'input', type: 'uint16' } } },
        { id: 'indicateur', type: 'scale', driver: 'modbus-scale', modbus: { bus: 'quai', unitId: 1, preset: 'dini-argeo-dgt4x', decimals: 2, pollMs: 100 }, weighing: { capture: 'continuous', defaultCategory: 'mobilier' } },
      ],
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-agent-devices-'));
    influxd = await startInfluxd();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: SITE, agent: AGENT }] }), log);
    ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { url: broker.url, username: 'ingest', credentialsFile: broker.credentialsFile }, influx: { url: influxd.url } }), log);
    counterServer = await TcpSerialServer.listen(serialCounter);
    serialCounter.start();
    modbusPort = await freePort();
    modbus = await serveModbusTcp(new Map<number, never>([[1, indicator as never], [2, modbusCounter as never]]), { port: modbusPort });
  });

  afterAll(async () => {
    await agent?.stop();
    serialCounter.stop();
    await counterServer?.close();
    await modbus?.close();
    await ingest?.stop();
    await broker?.stop();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const counterHealth = (id: string) => agent?.devices.describeCounters().find((c) => c.id === id)?.health;

  it('stores every visitor exactly once across an agent restart, and the indicator’s weighing', async () => {
    // Raw counts already on the devices before the agent ever saw them are its baseline, not visitors.
    serialCounter.walkIn(40);
    modbusCounter.enter(65_530); // near the top of a 16-bit register: it will wrap
    // What the agents' closed buckets carry, both devices together.
    const sent = { in: 0, out: 0 };
    const tally = (a: RunningAgent) => a.events.on('visits', (v: Visits) => ((sent.in += v.in), (sent.out += v.out)));
    agent = await startAgent(config(), log);
    tally(agent);
    await waitFor('both counters read', () => counterHealth('porte-serie')?.lastReadingAt && counterHealth('porte-modbus')?.lastReadingAt);

    serialCounter.walkIn(7);
    serialCounter.walkOut(3);
    modbusCounter.enter(9); // 65 539 → wraps to 3
    modbusCounter.leave(2);
    await new Promise((r) => setTimeout(r, 800));

    // The agent stops; people keep coming; it starts again from its saved state.
    await agent.stop();
    serialCounter.walkIn(5);
    modbusCounter.enter(4);
    agent = await startAgent(config(), log);
    tally(agent);
    serialCounter.walkIn(2);
    serialCounter.walkOut(6);
    modbusCounter.enter(1);

    await waitFor('the indicator read', () => agent!.devices.describeScales()[0]?.phase === 'armed');
    const taken = once(agent.events, 'weighing') as Promise<[Weighing]>;
    indicator.load(23.45);
    const [w] = await taken;
    expect(w).toMatchObject({ netKg: 23.45, category: 'mobilier' });

    // Buckets close every 2 s: wait for the buckets that hold every visitor, then for their receipts.
    const expected = { 'porte-serie': { in: 7 + 5 + 2, out: 3 + 6 }, 'porte-modbus': { in: 9 + 4 + 1, out: 2 } };
    await waitFor('every visitor in a closed bucket', () => sent.in === 14 + 14 && sent.out === 9 + 2, 20_000);
    await waitFor('every event stored', () => agent!.pending.depth === 0, 20_000);

    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'trebuchet' });
    const sums = await influx.query<{ device: string; in: number; out: number }>(`SELECT sum("in") AS "in", sum("out") AS "out" FROM visits GROUP BY device`);
    const byDevice = Object.fromEntries(sums.map((r) => [(r as unknown as { device: string }).device, { in: r.in, out: r.out }]));
    expect(byDevice).toEqual(expected);
    const kg = await influx.query<{ sum: number }>(`SELECT sum(net_kg) FROM weighing WHERE device = 'indicateur'`);
    expect(kg[0]?.sum).toBe(23.45);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { startBroker } from '../broker/broker.js';
import { brokerConfigSchema } from '../broker/config.js';
import { startAgent } from '../edge-agent/agent.js';
import { agentConfigSchema } from '../edge-agent/config.js';
import { DurableOutbox } from '../edge-agent/outbox/durable-outbox.js';
import { ingestConfigSchema } from '../ingest/config.js';
import { startIngest } from '../ingest/ingest.js';
import { weighingPoint } from '../storage/points.js';
import { agentUsername, deviceTopic } from '../protocol/index.js';
import { credentialsPaths } from '../broker/credentials.js';
import { cliProcess, logLine, type ManagedProcess } from '../tests/chaos/harness.js';
import { startInfluxd } from '../tests/helpers/influxd.js';
import { freePort } from '../tests/helpers/ports.js';
import { waitFor } from '../tests/helpers/wait.js';
import { peakRssMiB } from './proc-sampler.js';
import { unitCommandLine, unitEnvironment, unitNodeFlags } from './unit-flags.js';
import { recentWeighings } from './weighings.js';

const EVENTS = Number(process.env.BENCH_BACKLOG ?? 100_000);
const SITE = 'bench';
const AGENT = 'comptoir';

/** An agent's data folder as the outage left it: installed a day before, EVENTS weighings in its outbox. */
async function agentWithBacklog(dataDir: string, weighings: ReturnType<typeof recentWeighings>): Promise<void> {
  const dayAgo = Date.parse(weighings[0]!.capturedAt);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'identity.json'), JSON.stringify({ installedAt: new Date(dayAgo - 24 * 3600_000).toISOString() }));
  const outbox = await DurableOutbox.open(join(dataDir, 'outbox'));
  const topic = deviceTopic(SITE, AGENT, 'balance-1', 'weighing');
  await Promise.all(weighings.map((w) => outbox.append({ id: w.id, topic, payload: JSON.stringify(w), acceptedAt: Date.parse(w.capturedAt) })));
  await outbox.close();
}

/** All three in the bench's own process, on one event loop (the form this bench had first). */
async function drainInOneProcess(dir: string, influxUrl: string, database: string, weighings: ReturnType<typeof recentWeighings>): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const log = pino({ level: 'silent' });
  const broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: join(dir, 'broker'), agents: [{ site: SITE, agent: AGENT }] }), log);
  const ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { url: broker.url, username: 'ingest', credentialsFile: broker.credentialsFile }, influx: { url: influxUrl, database } }), log);
  try {
    await agentWithBacklog(join(dir, 'agent'), weighings);
    const t0 = performance.now();
    const agent = await startAgent(
      agentConfigSchema.parse({
        site: SITE,
        agent: AGENT,
        dataDir: join(dir, 'agent'),
        clock: 'assume-synced',
        mqtt: { url: broker.url, username: agentUsername(SITE, AGENT), credentialsFile: broker.credentialsFile },
        http: { port: 0 },
      }),
      log,
    );
    await waitFor('the backlog drained', () => agent.pending.depth === 0, 600_000);
    const drainMs = performance.now() - t0;
    await agent.stop();
    return drainMs;
  } finally {
    await ingest.stop();
    await broker.stop();
  }
}

/**
 * Each its own process, as the systemd units run them (script, node flags, environment): in the field the
 * agent is on the Pi and the broker and ingest on the server, not one event loop. Drained when the agent's
 * local API shows an empty queue (every receipt in).
 */
async function drainInProcesses(dir: string, influxUrl: string, database: string, weighings: ReturnType<typeof recentWeighings>): Promise<{ ms: number; peaks: string }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const httpPort = await freePort();
  const brokerData = join(dir, 'broker');
  const credentialsFile = credentialsPaths(brokerData).credentials;
  const url = `mqtt://127.0.0.1:${port}`;
  const configs = {
    broker: { listen: { host: '127.0.0.1', port }, dataDir: brokerData, agents: [{ site: SITE, agent: AGENT }] },
    ingest: { mqtt: { url, username: 'ingest', credentialsFile }, influx: { url: influxUrl, database } },
    agent: { site: SITE, agent: AGENT, dataDir: join(dir, 'agent'), clock: 'assume-synced', mqtt: { url, username: agentUsername(SITE, AGENT), credentialsFile }, http: { port: httpPort } },
  };
  const ready = { broker: /"msg":"MQTT broker ready"/, ingest: /"msg":"ingest subscribed"/, agent: /"msg":"agent started"/ };
  const processes: ManagedProcess[] = [];
  const start = async (component: keyof typeof configs) => {
    const file = join(dir, `${component}.yaml`);
    writeFileSync(file, JSON.stringify(configs[component]));
    const p = cliProcess(component, component, file, join(dir, `${component}.log`), logLine(ready[component]), { nodeArgs: unitNodeFlags(component), env: unitEnvironment(component) });
    processes.push(p);
    await p.start();
  };
  try {
    await start('broker');
    await start('ingest');
    await agentWithBacklog(join(dir, 'agent'), weighings);
    const t0 = performance.now();
    await start('agent');
    const depth = async () => ((await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/kiosk/state`)).json()) as { outbox: { depth: number } }).outbox.depth;
    await waitFor('the backlog drained', async () => (await depth()) === 0, 600_000, 50);
    const ms = performance.now() - t0;
    const peaks = processes.map((p) => `${p.opts.name} ${peakRssMiB(p.pid!).toFixed(1)} MiB`).join(', ');
    return { ms, peaks };
  } finally {
    for (const p of processes.reverse()) await p.stop();
  }
}

/**
 * A shop whose link was down for a day: EVENTS weighings captured over the last 24 hours wait in the
 * agent's outbox. Time from the agent's start to the last receipt (every event stored in InfluxDB with its
 * rollups), with the agent, the broker and ingest in one process, then each in its own as deployed.
 * Reference: the same points written straight to InfluxDB in batches of 1000, in the same run.
 */
export async function benchBacklogDrain(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-backlog-'));
  const influxd = await startInfluxd();
  try {
    const weighings = recentWeighings(EVENTS);
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'trebuchet' });
    const stored = async (database: string) => (await influx.query<{ count: number }>('SELECT count(net_kg) FROM weighing', { database }))[0]?.count ?? 0;
    const drains: [string, number, number][] = [];
    let peaks = '';
    for (const [label, drain, database] of [
      ['one process (agent, broker, ingest)', async (...a: Parameters<typeof drainInOneProcess>) => ({ ms: await drainInOneProcess(...a), peaks: '' }), 'drain_one'],
      ['each its own process, as deployed', drainInProcesses, 'drain_apart'],
    ] as const) {
      const result = await drain(join(dir, database), influxd.url, database, weighings);
      const count = await stored(database);
      if (count !== EVENTS) throw new Error(`${label}: expected ${EVENTS} weighings stored, found ${count}`);
      drains.push([label, result.ms, count]);
      peaks ||= result.peaks;
    }
    // Reference: the same points written directly, in batches of 1000, into a database of their own.
    await influx.createDatabase('reference');
    const points = weighings.map((w) => weighingPoint({ site: SITE, agent: AGENT, device: 'balance-1' }, w));
    const r0 = performance.now();
    for (let i = 0; i < points.length; i += 1000) await influx.writePoints(points.slice(i, i + 1000), { database: 'reference', precision: 'n' });
    const directMs = performance.now() - r0;

    console.log(`\nbacklog of ${EVENTS} weighings (24 h outage) drained through agent → broker → ingest → InfluxDB`);
    for (const [label, ms, count] of drains) {
      console.log(`  ${label.padEnd(38)} ${(ms / 1000).toFixed(1)} s   (${Math.round(EVENTS / (ms / 1000))} events/s), stored ${count}   ratio to the reference ${(ms / directMs).toFixed(1)}`);
    }
    console.log(`  reference ${''.padEnd(28)} ${(directMs / 1000).toFixed(1)} s   (the same points written straight to InfluxDB, batches of 1000)`);
    console.log(`  processes: ${(['broker', 'ingest', 'agent'] as const).map((c) => unitCommandLine(c)).join('; ')}`);
    console.log(`  peak resident memory, each its own process (VmHWM): ${peaks}`);
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

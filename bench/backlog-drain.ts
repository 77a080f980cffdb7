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
import { startInfluxd } from '../tests/helpers/influxd.js';
import { waitFor } from '../tests/helpers/wait.js';
import { recentWeighings } from './weighings.js';

const EVENTS = Number(process.env.BENCH_BACKLOG ?? 100_000);
const SITE = 'bench';
const AGENT = 'comptoir';

/**
 * A shop whose link was down for a day: EVENTS weighings captured over the last 24 hours wait in the
 * agent's outbox. Time from the agent's start to the last receipt (every event stored in InfluxDB).
 * Reference: the same points written straight to InfluxDB in batches of 1000, in the same run.
 */
export async function benchBacklogDrain(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-backlog-'));
  const log = pino({ level: 'silent' });
  const influxd = await startInfluxd();
  const broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: SITE, agent: AGENT }] }), log);
  const ingest = await startIngest(ingestConfigSchema.parse({ mqtt: { url: broker.url, username: 'ingest', credentialsFile: broker.credentialsFile }, influx: { url: influxd.url } }), log);
  try {
    const weighings = recentWeighings(EVENTS);
    const dayAgo = Date.parse(weighings[0]!.capturedAt);
    // An agent installed before the outage…
    mkdirSync(join(dir, 'agent'), { recursive: true });
    writeFileSync(join(dir, 'agent', 'identity.json'), JSON.stringify({ installedAt: new Date(dayAgo - 24 * 3600_000).toISOString() }));
    // …and the backlog, as it left it on disk during the outage.
    const outbox = await DurableOutbox.open(join(dir, 'agent', 'outbox'));
    const topic = deviceTopic(SITE, AGENT, 'balance-1', 'weighing');
    await Promise.all(weighings.map((w) => outbox.append({ id: w.id, topic, payload: JSON.stringify(w), acceptedAt: Date.parse(w.capturedAt) })));
    await outbox.close();

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

    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'trebuchet' });
    const [count] = await influx.query<{ count: number }>('SELECT count(net_kg) FROM weighing');
    if (count?.count !== EVENTS) throw new Error(`expected ${EVENTS} weighings stored, found ${count?.count ?? 0}`);
    // Reference: the same points written directly, in batches of 1000, into a second database.
    await influx.createDatabase('reference');
    const points = weighings.map((w) => weighingPoint({ site: SITE, agent: AGENT, device: 'balance-1' }, w));
    const r0 = performance.now();
    for (let i = 0; i < points.length; i += 1000) await influx.writePoints(points.slice(i, i + 1000), { database: 'reference', precision: 'n' });
    const directMs = performance.now() - r0;

    console.log(`\nbacklog of ${EVENTS} weighings (24 h outage) drained through agent → broker → ingest → InfluxDB`);
    console.log(`  drain time       ${(drainMs / 1000).toFixed(1)} s   (${Math.round(EVENTS / (drainMs / 1000))} events/s), stored ${count?.count}`);
    console.log(`  reference        ${(directMs / 1000).toFixed(1)} s   (the same points written straight to InfluxDB, batches of 1000)`);
    console.log(`  ratio drain / reference: ${(drainMs / directMs).toFixed(1)}`);
  } finally {
    await ingest.stop();
    await broker.stop();
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { brokerConfigSchema } from '../broker/config.js';
import { configuredUsers, credentialsPaths, ensureUsers, ingestUsername } from '../broker/credentials.js';
import { BATCH_OFFER } from '../ingest/offer.js';
import { agentTopic, agentUsername, batchMessages, decode, deviceTopic, kindFilter, type Weighing } from '../protocol/index.js';
import { readCredentials } from '../runtime/credentials-file.js';
import { weighingPoint } from '../storage/points.js';
import { cliProcess, logLine, type ManagedProcess } from '../tests/chaos/harness.js';
import { startInfluxd } from '../tests/helpers/influxd.js';
import { startTestMosquitto, writeTestMosquittoConfig } from '../tests/helpers/mosquitto.js';
import { freePort } from '../tests/helpers/ports.js';
import { testStore } from '../tests/helpers/store.js';
import { cpuProfileTop } from './cpu-profile-top.js';
import { sampleProcess } from './proc-sampler.js';
import { quantile } from './stats.js';
import { unitCommandLine, unitEnvironment, unitNodeFlags } from './unit-flags.js';
import { recentWeighings } from './weighings.js';

const EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 30_000);
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 3);
const SITE = 'bench';
/**
 * Agents publishing at once, each with this many events in flight (as an outbox drains). Mosquitto drops
 * messages to a subscriber that is behind once its queue is full ("Outgoing messages are being dropped"):
 * with the default 1,000 of limits.offlineQueue, 2.0.11 dropped some at 4 × 200 outstanding, and a bench
 * has no resend. The broker here has the larger queue README « Plusieurs ingest » advises for a network.
 */
const PUBLISHERS = 4;
const IN_FLIGHT = 1_000;
const BROKER_QUEUE = 100_000;
const DIRECT_BATCH = 5_000;
/** Set: every ingest process runs under `node --cpu-prof`, and each mode's top functions are printed. */
const CPU_PROFILE = Boolean(process.env.BENCH_INGEST_CPU_PROF);

type Mode = 'relay' | 'direct' | 'ingest ×1, singles' | 'ingest ×1, batches' | 'ingest ×3, batches';
interface Run {
  eventsPerSecond: number;
  /** CPU µs per event, by process kind. */
  cpu: Record<string, number>;
  /** Events each ingest instance received (from its stop log). */
  shares?: number[];
  /** The largest resident memory of an ingest instance during the run, MiB. */
  peakRssMiB?: number;
  /** Where ingest's busy CPU went (BENCH_INGEST_CPU_PROF). */
  profile?: string[];
}

/**
 * `ingest-throughput`: weighing events per second from MQTT publish to receipt, with one ingest process and
 * with three on a shared subscription (Mosquitto, each instance its own user), against the same broker's
 * bare QoS 1 relay of the same payloads to one subscriber and the same points written straight to InfluxDB
 * in 5,000-point batches, all in one run, interleaved, medians of RUNS. CPU per event is read from /proc for
 * each process kind, which shows where the time goes when three instances share two cores.
 */
export async function benchIngestThroughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-ingest-'));
  const influxd = await startInfluxd();
  const port = await freePort();
  const agents = Array.from({ length: PUBLISHERS }, (_, i) => ({ site: SITE, agent: `a${i + 1}` }));
  const brokerConfig = brokerConfigSchema.parse({ listen: { host: '127.0.0.1', port }, dataDir: join(dir, 'broker'), agents, ingestInstances: 3, limits: { offlineQueue: { messages: BROKER_QUEUE } } });
  ensureUsers(brokerConfig.dataDir, configuredUsers(brokerConfig));
  const credentialsFile = credentialsPaths(brokerConfig.dataDir).credentials;
  const password = (user: string) => readCredentials(credentialsFile)!.mqtt[user]!.password;
  const { conf } = (await writeTestMosquittoConfig(brokerConfig, join(dir, 'mosquitto'))).files;
  const mosquitto = await startTestMosquitto(conf, [port]);
  const url = `mqtt://127.0.0.1:${port}`;
  const publishers: MqttClient[] = [];
  /** Each event in flight → its window, which resolves when its last event is done (receipt or relay). */
  const inFlight = new Map<string, { left: number; resolve: () => void }>();
  const done = (id: string) => {
    const w = inFlight.get(id);
    if (!w) return;
    inFlight.delete(id);
    if (--w.left === 0) w.resolve();
  };
  try {
    for (const a of agents) {
      const user = agentUsername(a.site, a.agent);
      const client = await mqtt.connectAsync(url, { username: user, clientId: user, password: password(user) });
      client.on('message', (_t, payload) => {
        const receipt = decode('receipt', payload);
        if (receipt.ok) for (const id of receipt.value.ids) done(id);
      });
      await client.subscribeAsync(agentTopic(a.site, a.agent, 'receipt'), { qos: 1 });
      publishers.push(client);
    }

    /**
     * Each publisher sends its share in windows of IN_FLIGHT, the next once the window is done: one message
     * per event (an agent older than batches, and the relay's payloads), or in batches as ingest offers them.
     */
    const drive = async (weighings: Weighing[], batched = false): Promise<number> => {
      inFlight.clear();
      const t0 = performance.now();
      await Promise.all(
        publishers.map(async (client, p) => {
          const mine = weighings.filter((_, i) => i % PUBLISHERS === p);
          const topic = deviceTopic(SITE, agents[p]!.agent, 'balance', 'weighing');
          for (let i = 0; i < mine.length; i += IN_FLIGHT) {
            const window = mine.slice(i, i + IN_FLIGHT);
            const w = { left: window.length, resolve: () => {} };
            const finished = new Promise<void>((resolve) => (w.resolve = resolve));
            for (const e of window) inFlight.set(e.id, w);
            const singles = window.map((w) => ({ topic, payload: JSON.stringify(w) }));
            const messages = batched ? batchMessages(SITE, agents[p]!.agent, singles, BATCH_OFFER) : singles;
            await Promise.all(messages.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
            // A bench has no resend: a window that stalls is a dropped message, said rather than waited on forever.
            let timer: NodeJS.Timeout | undefined;
            const stalled = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${w.left} of a window of ${window.length} events still not done after 60 s (a message dropped by the broker?)`)), 60_000)));
            await Promise.race([finished, stalled]).finally(() => clearTimeout(timer));
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      return weighings.length / seconds;
    };

    const cpuOf = async <T>(pids: Record<string, (number | undefined)[]>, work: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number> }> => {
      const before = Object.fromEntries(Object.entries(pids).map(([k, ps]) => [k, ps.map((pid) => (pid ? sampleProcess(pid).cpuSeconds : 0))]));
      const result = await work();
      const cpu: Record<string, number> = {};
      for (const [k, ps] of Object.entries(pids)) {
        const used = ps.map((pid, i) => (pid ? sampleProcess(pid).cpuSeconds - (before[k]?.[i] ?? 0) : 0));
        cpu[k] = (used.reduce((a, b) => a + b, 0) * 1e6) / EVENTS;
      }
      return { result, cpu };
    };
    const basePids = () => ({ mosquitto: [mosquitto.process.pid], influxd: [influxd.pid()], 'publishers (bench)': [process.pid] });

    const relay = async (): Promise<Run> => {
      // A bare subscriber as the ingest user: what the broker alone relays at QoS 1, with a receipt's worth of work.
      const sub = await mqtt.connectAsync(url, { username: 'ingest', clientId: 'ingest', password: password('ingest') });
      sub.on('message', (_t, payload) => {
        done((JSON.parse(payload.toString()) as { id: string }).id);
      });
      await sub.subscribeAsync(kindFilter('weighing'), { qos: 1 });
      try {
        const { result, cpu } = await cpuOf(basePids(), () => drive(recentWeighings(EVENTS)));
        return { eventsPerSecond: result, cpu };
      } finally {
        await sub.endAsync();
      }
    };

    let databases = 0;
    const direct = async (): Promise<Run> => {
      const store = testStore(influxd.url, `direct_${++databases}`);
      await store.prepare();
      const points = recentWeighings(EVENTS).map((w) => weighingPoint({ site: SITE, agent: 'a1', device: 'balance' }, w));
      const { result, cpu } = await cpuOf(basePids(), async () => {
        const t0 = performance.now();
        for (let i = 0; i < points.length; i += DIRECT_BATCH) await store.write(points.slice(i, i + DIRECT_BATCH), 'raw');
        return EVENTS / ((performance.now() - t0) / 1000);
      });
      return { eventsPerSecond: result, cpu };
    };

    const ingest = async (instances: number, batched: boolean): Promise<Run> => {
      const database = `ingest_${++databases}`;
      const processes: ManagedProcess[] = [];
      for (let i = 1; i <= instances; i++) {
        const file = join(dir, `ingest-${databases}-${i}.yaml`);
        const mqttConn = { url, username: ingestUsername(i), credentialsFile };
        writeFileSync(file, JSON.stringify({ mqtt: mqttConn, influx: { url: influxd.url, database }, ...(instances > 1 ? { sharedGroup: 'ingest' } : {}) }));
        // With its unit's Node flags: the memory measured is the deployed process's.
        const profiling = CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, `profiles-${databases}`)}`] : [];
        processes.push(cliProcess(`ingest-${i}`, 'ingest', file, join(dir, `ingest-${databases}-${i}.log`), logLine(/"msg":"ingest subscribed"/), { nodeArgs: [...unitNodeFlags('ingest'), ...profiling], env: unitEnvironment('ingest') }));
      }
      await Promise.all(processes.map((p) => p.start()));
      try {
        const weighings = recentWeighings(EVENTS);
        let peakRssMiB = 0;
        const rss = setInterval(() => {
          for (const p of processes) if (p.pid) peakRssMiB = Math.max(peakRssMiB, sampleProcess(p.pid).rssBytes / 2 ** 20);
        }, 200);
        const { result, cpu } = await cpuOf({ ingest: processes.map((p) => p.pid), ...basePids() }, () => drive(weighings, batched)).finally(() => clearInterval(rss));
        const count = await testStore(influxd.url, database).queryRaw('SELECT count("net_kg") FROM "weighing"');
        const stored = (count as { results: { series?: { values: number[][] }[] }[] }).results[0]?.series?.[0]?.values[0]?.[1];
        if (stored !== EVENTS) throw new Error(`expected ${EVENTS} weighings stored, found ${stored}`);
        const shares = await Promise.all(
          processes.map(async (p) => {
            const since = p.logSize();
            await p.stop();
            const line = p.log(since).split('\n').find((l) => l.includes('"msg":"ingest stopped"'));
            return line ? (JSON.parse(line) as { received: number }).received : NaN;
          }),
        );
        // A profile is written as its process exits, after the stop above.
        const profile = CPU_PROFILE ? cpuProfileTop(join(dir, `profiles-${databases}`)) : undefined;
        return { eventsPerSecond: result, cpu, shares, peakRssMiB, profile };
      } finally {
        await Promise.all(processes.map((p) => p.stop()));
      }
    };

    const modes: Record<Mode, () => Promise<Run>> = {
      relay,
      direct,
      'ingest ×1, singles': () => ingest(1, false),
      'ingest ×1, batches': () => ingest(1, true),
      'ingest ×3, batches': () => ingest(3, true),
    };
    const runs = Object.fromEntries(Object.keys(modes).map((m) => [m, []])) as unknown as Record<Mode, Run[]>;
    for (let r = 0; r < RUNS; r++) {
      for (const [mode, run] of Object.entries(modes) as [Mode, () => Promise<Run>][]) {
        const result = await run();
        runs[mode].push(result);
        console.log(`  run ${r + 1}/${RUNS} ${mode}: ${result.eventsPerSecond.toFixed(0)} events/s`);
      }
    }

    const median = (xs: number[]) => quantile(xs, 0.5);
    const rate = (m: Mode) => median(runs[m].map((r) => r.eventsPerSecond));
    const kinds = ['ingest', 'mosquitto', 'influxd', 'publishers (bench)'];
    console.log(`\ningest throughput: ${EVENTS} weighing events a run, ${PUBLISHERS} publishers × ${IN_FLIGHT} in flight, Mosquitto, InfluxDB 1.6, medians of ${RUNS}`);
    console.log(`  ${'mode'.padEnd(24)}${'events/s'.padStart(10)}   runs (events/s)            CPU µs/event: ${kinds.join(' · ')}`);
    for (const mode of Object.keys(runs) as Mode[]) {
      const cpu = kinds.map((k) => {
        const xs = runs[mode].map((r) => r.cpu[k]).filter((x): x is number => x !== undefined);
        return xs.length ? median(xs).toFixed(0) : '–';
      });
      const label = mode === 'relay' ? 'relay (bare QoS 1)' : mode === 'direct' ? `direct (${DIRECT_BATCH}-point)` : mode;
      console.log(`  ${label.padEnd(24)}${rate(mode).toFixed(0).padStart(10)}   ${runs[mode].map((r) => r.eventsPerSecond.toFixed(0)).join(', ').padEnd(27)}${cpu.join(' · ')}`);
    }
    const shares = runs['ingest ×3, batches'].map((r) => r.shares!.map((s) => `${((100 * s) / EVENTS).toFixed(0)} %`).join('/'));
    const ratio = (a: Mode, b: Mode) => `${(rate(a) / rate(b)).toFixed(2)}×`;
    console.log(`  ingest ×1 / relay: singles ${ratio('ingest ×1, singles', 'relay')}, batches ${ratio('ingest ×1, batches', 'relay')}   ingest ×1 / direct: singles ${ratio('ingest ×1, singles', 'direct')}, batches ${ratio('ingest ×1, batches', 'direct')}   ingest ×3 / ×1, batches: ${ratio('ingest ×3, batches', 'ingest ×1, batches')}`);
    console.log(`  shares of the three instances, per run: ${shares.join('; ')}`);
    const peaks = (m: Mode) => runs[m].map((r) => r.peakRssMiB!.toFixed(1)).join(', ');
    if (CPU_PROFILE) {
      for (const mode of Object.keys(runs) as Mode[]) {
        const last = runs[mode].at(-1)?.profile;
        if (last) console.log(`  ${mode}, ingest's busy CPU by self time (last run, the whole process life):\n    ${last.join('\n    ')}`);
      }
    }
    console.log(`  ingest's peak resident memory while draining (MiB, per run; ${unitCommandLine('ingest')}): ×1 singles ${peaks('ingest ×1, singles')}; ×1 batches ${peaks('ingest ×1, batches')}; ×3 batches, the largest instance ${peaks('ingest ×3, batches')}`);
  } finally {
    await Promise.all(publishers.map((c) => c.endAsync()));
    await mosquitto.stop();
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

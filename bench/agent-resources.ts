import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { startBroker } from '../broker/broker.js';
import { brokerConfigSchema } from '../broker/config.js';
import type { SimulatedScaleBase } from '../firmware-sim/common/simulated-scale-base.js';
import { TcpSerialServer } from '../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../firmware-sim/counters/simulated-serial-counter.js';
import { SimulatedModbusCounter } from '../firmware-sim/modbus/counter.js';
import { serveModbusTcp } from '../firmware-sim/modbus/servers.js';
import { SimulatedModbusIndicator } from '../firmware-sim/modbus/weighing-indicator.js';
import { SimulatedMtSicsScale } from '../firmware-sim/mt-sics/simulated-mt-sics-scale.js';
import { SimulatedSartoriusScale } from '../firmware-sim/sartorius/simulated-sartorius-scale.js';
import { SimulatedSmaScale } from '../firmware-sim/sma/simulated-sma-scale.js';
import { SimulatedStgsScale } from '../firmware-sim/stgs/simulated-stgs-scale.js';
import { SimulatedToledoScale } from '../firmware-sim/toledo/simulated-toledo-scale.js';
import { agentTopic, agentUsername, decode, kindFilter, parseTopic } from '../protocol/index.js';
import { readCredentials } from '../runtime/credentials-file.js';
import { credentialsPaths } from '../broker/credentials.js';
import { cliProcess, logLine, type ManagedProcess } from '../tests/chaos/harness.js';
import { startInfluxd } from '../tests/helpers/influxd.js';
import { freePort } from '../tests/helpers/ports.js';
import { watchProcess } from './proc-sampler.js';
import { summary } from './stats.js';
import { unitCommandLine, unitEnvironment, unitNodeFlags, unitScript } from './unit-flags.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);

/**
 * The agent's footprint on a Pi-sized budget: eight simulated devices of every kind (five serial scale
 * protocols through TCP device servers, a Modbus indicator and a Modbus counter, a serial door counter),
 * each read at 5 Hz, loads coming and going, for SECONDS seconds. The agent runs as its own process; the
 * reference is an agent with no device, sampled over the same window.
 */
export async function benchAgentResources(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-agent-'));
  const log = pino({ level: 'silent' });
  const site = 'bench';
  const broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site, agent: 'loaded' }, { site, agent: 'idle' }] }), log);
  const creds = readCredentials(broker.credentialsFile)!.mqtt;
  const stops: (() => unknown)[] = [];
  const children: ChildProcess[] = [];
  try {
    const scales: SimulatedScaleBase[] = [
      new SimulatedStgsScale({ intervalMs: 200 }),
      new SimulatedToledoScale({ intervalMs: 200 }),
      new SimulatedSartoriusScale({ intervalMs: 200 }),
      new SimulatedMtSicsScale(),
      new SimulatedSmaScale(),
    ];
    const drivers = ['stgs', 'toledo', 'sartorius', 'mt-sics', 'sma'];
    const servers = await Promise.all(scales.map((s) => TcpSerialServer.listen(s)));
    for (const [i, s] of scales.entries()) {
      s.start(); // streaming twins stream; request/response twins answer only
      stops.push(() => s.stop(), () => servers[i]!.close());
    }
    const counter = new SimulatedSerialCounter({ intervalMs: 200, timeScale: 600, seed: 3 });
    const counterServer = await TcpSerialServer.listen(counter);
    counter.start();
    stops.push(() => counter.stop(), () => counterServer.close());
    const indicator = new SimulatedModbusIndicator({ preset: 'dini-argeo-dgt4x' });
    const modbusCounter = new SimulatedModbusCounter({ in: { register: 0, kind: 'input', type: 'uint32', wordOrder: 'CDAB' }, out: { register: 2, kind: 'input', type: 'uint32', wordOrder: 'CDAB' } });
    const modbusPort = await freePort();
    const modbus = await serveModbusTcp(new Map<number, never>([[1, indicator as never], [2, modbusCounter as never]]), { port: modbusPort });
    stops.push(() => modbus.close());

    // Every load becomes a weighing, as a scale alone at the counter posts them (the default, `bon`, waits for the kiosk).
    const CONTINUOUS = { capture: 'continuous', defaultCategory: 'textile' };
    const devices = [
      ...drivers.map((driver, i) => ({
        id: `balance-${driver}`,
        type: 'scale',
        driver,
        transport: { type: 'tcp', host: '127.0.0.1', port: servers[i]!.port },
        weighing: CONTINUOUS,
        ...(driver === 'mt-sics' ? { mtSics: { pollMs: 200 } } : driver === 'sma' ? { sma: { pollMs: 200 } } : {}),
      })),
      { id: 'indicateur-quai', type: 'scale', driver: 'modbus-scale', weighing: CONTINUOUS, modbus: { bus: 'modbus-tcp', unitId: 1, preset: 'dini-argeo-dgt4x', decimals: 2, pollMs: 200 } },
      { id: 'porte-modbus', type: 'counter', driver: 'modbus-counter', modbus: { bus: 'modbus-tcp', unitId: 2, pollMs: 200, in: { register: 0, kind: 'input', type: 'uint32', wordOrder: 'CDAB' }, out: { register: 2, kind: 'input', type: 'uint32', wordOrder: 'CDAB' } } },
      { id: 'porte-serie', type: 'counter', driver: 'serial-counter', transport: { type: 'tcp', host: '127.0.0.1', port: counterServer.port } },
    ];
    const agentConfig = (agent: string, withDevices: boolean) => {
      const file = join(dir, `${agent}.yaml`);
      writeFileSync(
        file,
        JSON.stringify({
          site,
          agent,
          dataDir: join(dir, agent),
          mqtt: { url: broker.url, username: agentUsername(site, agent), credentialsFile: broker.credentialsFile },
          http: { port: 0 },
          modbus: { buses: withDevices ? [{ id: 'modbus-tcp', transport: { type: 'tcp', host: '127.0.0.1', port: modbusPort } }] : [] },
          devices: withDevices ? devices : [],
        }),
      );
      return file;
    };
    const flags = unitNodeFlags();
    for (const [agent, withDevices] of [['loaded', true], ['idle', false]] as const) {
      const child = spawn(process.execPath, [...flags, unitScript('agent'), 'agent', '--config', agentConfig(agent, withDevices)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...unitEnvironment('agent'), TREBUCHET_LOG_LEVEL: 'warn' } });
      children.push(child);
    }

    // The bench plays ingest: every event gets its receipt, as when InfluxDB holds it.
    const ingest = await mqtt.connectAsync(broker.url, { ...creds['ingest']!, clientId: 'ingest:bench' });
    let weighings = 0;
    let buckets = 0;
    ingest.on('message', (topic, payload) => {
      const parts = parseTopic(topic);
      if (!parts.ok) return;
      const kind = parts.parts.kind === 'visits' ? 'visits' : 'weighing';
      const msg = decode(kind, payload);
      if (!msg.ok) return;
      if (kind === 'visits') buckets++;
      else weighings++;
      ingest.publish(agentTopic(site, parts.parts.agent, 'receipt'), JSON.stringify({ v: 1, ids: [msg.value.id] }), { qos: 1 });
    });
    await ingest.subscribeAsync([kindFilter('weighing'), kindFilter('visits')], { qos: 1 });
    stops.push(() => ingest.endAsync());

    // Loads come and go on every scale.
    const loadables = [...scales, indicator];
    let n = 0;
    const loads = setInterval(() => {
      for (const s of loadables) {
        if (s.model.platterKg > 0) s.model.unload();
        else s.model.load(1 + ((n * 3.7) % 20));
      }
      modbusCounter.enter(2);
      modbusCounter.leave(1);
      n++;
    }, 2000);
    stops.push(() => clearInterval(loads));

    await new Promise((r) => setTimeout(r, 5000)); // warm-up: connections, JIT
    const [loaded, idle] = await Promise.all(children.map((c) => watchProcess(c.pid!, SECONDS)));
    const l = summary(loaded!.rssMiB);
    const i = summary(idle!.rssMiB);
    console.log(`\nagent with 8 simulated devices read at 5 Hz, ${SECONDS} s (its own process as its systemd unit runs it: ${unitCommandLine('agent')})`);
    console.log(`  resident memory  median ${l.median.toFixed(1)} MiB   max ${l.max.toFixed(1)} MiB   (first ${loaded!.rssMiB[0]!.toFixed(1)}, last ${loaded!.rssMiB.at(-1)!.toFixed(1)})`);
    console.log(`  CPU              ${loaded!.cpuPercent.toFixed(1)} % of one core`);
    console.log(`  traffic          ${weighings} weighings and ${buckets} visits buckets received and acknowledged`);
    console.log(`  reference        agent with no device: median ${i.median.toFixed(1)} MiB, ${idle!.cpuPercent.toFixed(1)} % CPU`);
    console.log(`  ratio loaded / reference: memory ${(l.median / i.median).toFixed(2)}`);
    console.log(`\nresident memory at idle, each its own process as its systemd unit starts it, median over ${IDLE_SECONDS} s`);
    console.log(`  agent       ${i.median.toFixed(1)} MiB (the reference above)`);
    for (const line of await serversAtIdle(dir)) console.log(`  ${line}`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const stop of stops.reverse()) await stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How long each server is sampled at idle. */
const IDLE_SECONDS = 10;

/**
 * The servers' resident memory at idle: a broker, an ingest and the dashboards, each a `trebuchet` process
 * started with its unit's node flags, on a real InfluxDB 1.6, connected and waiting for traffic.
 */
async function serversAtIdle(dir: string): Promise<string[]> {
  const influxd = await startInfluxd();
  const processes: ManagedProcess[] = [];
  try {
    const port = await freePort();
    const brokerData = join(dir, 'servers-broker');
    const credentialsFile = credentialsPaths(brokerData).credentials;
    const influx = { url: influxd.url, database: 'trebuchet' };
    const mqttAs = (username: string) => ({ url: `mqtt://127.0.0.1:${port}`, username, credentialsFile });
    const configs = {
      broker: { listen: { host: '127.0.0.1', port }, dataDir: brokerData, agents: [{ site: 'bench', agent: 'loaded' }] },
      ingest: { mqtt: mqttAs('ingest'), influx },
      dashboards: { http: { port: 0 }, mqtt: mqttAs('dashboards'), influx, usersFile: join(dir, 'servers-users.json') },
    };
    const ready = { broker: /"msg":"MQTT broker ready"/, ingest: /"msg":"ingest subscribed"/, dashboards: /"msg":"dashboards listening"/ };
    const lines: string[] = [];
    for (const component of ['broker', 'ingest', 'dashboards'] as const) {
      const file = join(dir, `servers-${component}.yaml`);
      writeFileSync(file, JSON.stringify(configs[component]));
      const p = cliProcess(component, component, file, join(dir, `servers-${component}.log`), logLine(ready[component]), { nodeArgs: unitNodeFlags(component), env: unitEnvironment(component) });
      processes.push(p);
      // Started one after the other: ingest and the dashboards log in to the broker started before them.
      await p.start();
    }
    const samples = await Promise.all(processes.map((p) => watchProcess(p.child!.pid!, IDLE_SECONDS)));
    for (const [n, p] of processes.entries()) lines.push(`${p.name.padEnd(11)} ${summary(samples[n]!.rssMiB).median.toFixed(1)} MiB`);
    return lines;
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await influxd.stop();
  }
}

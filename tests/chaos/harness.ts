import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import mqtt, { type MqttClient } from 'mqtt';
import { brokerConfigSchema } from '../../broker/config.js';
import { configuredUsers, ensureUsers, credentialsPaths } from '../../broker/credentials.js';
import { seededRandom } from '../../firmware-sim/common/sim-device.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../../firmware-sim/counters/simulated-serial-counter.js';
import { agentTopic, agentUsername } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { startManagedInfluxd, type RunningInfluxd } from '../../runtime/managed-influxd.js';
import { projectRoot } from '../../runtime/project-root.js';
import { generatedTlsPaths } from '../../broker/tls/paths.js';
import { WEBSOCKET_PATH } from '../../broker/listeners.js';
import { MOSQUITTO, writeTestMosquittoConfig } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { SERVER_NAMES, TLS_HANDSHAKE_BYTE, writeOperatorCertificates, type OperatorCertificates, type Transport } from './tls-link.js';

/**
 * The chaos harness: every component of the pipeline as a real process that can be killed and restarted
 * (`node dist/bundle/trebuchet.js agent|broker|ingest` as the units run them, or Mosquitto as the broker), a managed influxd that
 * can be stopped and started again on the same data, a TCP proxy between the agent and the broker whose
 * link can be cut, two event sources whose expected outcome is known exactly (typed weighings through the
 * agent's HTTP API, a simulated door counter for visits), and the final count against InfluxDB.
 */

export const ROOT = projectRoot(import.meta.url);
/**
 * The built CLI the components run from: the services' bundle (cli/build-bundle.ts), the code the systemd units
 * run; CHAOS_CLI points at another build (e.g. one nobody rebuilds meanwhile).
 */
export const CLI = process.env.CHAOS_CLI ?? join(ROOT, 'dist', 'bundle', 'trebuchet.js');
export const INFLUXD = process.env.TREBUCHET_INFLUXD ?? '/usr/bin/influxd';

export const SITE = 'lilas';
export const AGENT = 'comptoir';
export const SCALE = 'balance';
export const DOOR = 'porte';
export const DATABASE = 'chaos';
export const CATEGORIES = ['textile', 'mobilier', 'livres', 'deee', 'quincaillerie', 'jouets', 'supports-media', 'autre'];

export type BrokerKind = 'aedes' | 'mosquitto';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; fails naming `what` after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | null | false;
    try {
      value = await probe();
    } catch {
      value = undefined;
    }
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A seeded random source, so that a failing run can be replayed with CHAOS_SEED. */
export class Dice {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** `n` ports free on loopback now, all different (freePort may give one twice). */
export async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Whether a TCP port on loopback accepts a connection now. */
export function tcpAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ───────────────────────────── processes ─────────────────────────────

/** Every child started by the harness, killed if the harness itself goes away. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface ProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves once the process does its job (listening, subscribed…); `since` is the log offset at spawn. */
  ready(p: ManagedProcess, since: number): Promise<void>;
  readyTimeoutMs?: number;
}

/**
 * One real process, its stdout and stderr appended to a log file (never a pipe: a chatty child must not
 * block on a full pipe while the harness is busy). Exits the harness did not ask for are counted as crashes.
 */
export class ManagedProcess {
  child: ChildProcess | undefined;
  starts = 0;
  kills = 0;
  /** Exits nobody asked for: a crash of the component (with its code or signal). */
  readonly crashes: string[] = [];
  private expectingExit = false;

  constructor(readonly opts: ProcessOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  logSize(): number {
    try {
      return statSync(this.opts.logFile).size;
    } catch {
      return 0;
    }
  }

  /** The log from byte `since` on (or its last `tail` bytes). */
  log(since = 0, tail?: number): string {
    try {
      const text = readFileSync(this.opts.logFile, 'utf8').slice(since);
      return tail ? text.slice(-tail) : text;
    } catch {
      return '';
    }
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const since = this.logSize();
    const fd = openSync(this.opts.logFile, 'a');
    writeFileSync(fd, `\n===== chaos harness: start #${this.starts + 1} of ${this.name} at ${new Date().toISOString()} =====\n`);
    const child = spawn(this.opts.command, this.opts.args, { stdio: ['ignore', fd, fd], env: this.opts.env ?? process.env, cwd: ROOT });
    closeSync(fd);
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    liveChildren.add(child);
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      if (!this.expectingExit && this.child === child) this.crashes.push(`${this.name} exited on its own (${signal ?? `code ${code}`})`);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`${this.name} exited (${signal ?? `code ${code}`}) while starting:\n${this.log(since, 3000)}`))),
    );
    exited.catch(() => undefined);
    const timeoutMs = this.opts.readyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.log(since, 3000)}`)), timeoutMs);
    });
    try {
      await Promise.race([this.opts.ready(this, since), exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to this process (by its own pid) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    if (signal === 'SIGKILL') this.kills++;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const ok = await Promise.race([gone.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!ok) {
      child.kill('SIGKILL');
      await gone;
    }
  }

  /** A clean stop (SIGTERM, then SIGKILL after 15 s). */
  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }
}

/**
 * The node executable running the built CLI, with the child environment the components should see;
 * `nodeArgs` go to node before the script (a unit's flags, an `--import` hook), `env` is added.
 */
export function cliProcess(
  name: string,
  kind: 'agent' | 'broker' | 'ingest' | 'dashboards',
  configFile: string,
  logFile: string,
  ready: ProcessOptions['ready'],
  options: { nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): ManagedProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, TREBUCHET_LOG_FORMAT: 'json', TREBUCHET_LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'info', ...options.env };
  // Secrets come from the credentials file here: an operator's environment must not override them.
  delete env.TREBUCHET_MQTT_PASSWORD;
  delete env.TREBUCHET_MQTT_USERNAME;
  delete env.TREBUCHET_INFLUX_PASSWORD;
  return new ManagedProcess({ name, command: process.execPath, args: [...(options.nodeArgs ?? []), CLI, kind, '--config', configFile], logFile, env, ready });
}

/** Waits for a log line (JSON logs) matching `pattern` written since `since`. */
export function logLine(pattern: RegExp, timeoutMs = 30_000) {
  return (p: ManagedProcess, since: number) =>
    waitFor(`${p.name} to log ${pattern}`, () => pattern.test(p.log(since)), timeoutMs, 50).then(() => undefined);
}

// ───────────────────────────── InfluxDB ─────────────────────────────

/** A managed influxd on a data folder the harness keeps, so it can be stopped and started again on the same data. */
export class InfluxControl {
  private running: RunningInfluxd | undefined;
  stops = 0;

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    readonly rpcPort: number,
  ) {}

  static async start(dir: string): Promise<InfluxControl> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [httpPort, rpcPort] = await distinctFreePorts(2);
      const control = new InfluxControl(dir, httpPort!, rpcPort!);
      try {
        await control.start();
        return control;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = await startManagedInfluxd({ dir: this.dir, httpPort: this.httpPort, rpcPort: this.rpcPort, binary: INFLUXD, auth: false });
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r) {
      this.stops++;
      await r.stop();
    }
  }

  client(database = DATABASE): InfluxDB {
    return new InfluxDB({ host: '127.0.0.1', port: this.httpPort, database });
  }
}

// ───────────────────────────── TCP proxy ─────────────────────────────

/**
 * A TCP proxy on loopback between the agent and the broker. cut() destroys every live connection and
 * refuses new ones (they are accepted and closed at once) until restore(). It relays bytes unchanged, TLS
 * included (a cut is then a real TLS connection loss), and tells how each connection opened: a TLS
 * handshake or anything else (plain MQTT), which shows the agent's link really was TLS.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private refusing = false;
  cuts = 0;
  connections = 0;
  readonly opened = { tls: 0, plain: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async listen(targetPort: number, port = 0): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : port, targetPort);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  get isCut(): boolean {
    return this.refusing;
  }

  get live(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.refusing = true;
    this.cuts++;
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.connections++;
    client.once('data', (chunk: Buffer) => (chunk[0] === TLS_HANDSHAKE_BYTE ? this.opened.tls++ : this.opened.plain++));
    const upstream = connect({ port: this.targetPort, host: '127.0.0.1' });
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

// ───────────────────────────── the weighing source ─────────────────────────────

/**
 * - acked: answered 201 {id}: the agent accepted it; it MUST be stored exactly once.
 * - unanswered: sent, but no answer (the agent died, the connection broke): it may be stored at most once.
 * - refused: the connection was refused: it never reached the agent, so it must never be stored.
 * - rejected: an answer other than 201: not accepted; at most once (it should not be stored at all).
 */
export type PostOutcome = 'in-flight' | 'acked' | 'unanswered' | 'refused' | 'rejected';

export interface PostRecord {
  n: number;
  netKg: number;
  category: string;
  outcome: PostOutcome;
  id?: string;
  status?: number;
  error?: string;
}

interface PostResult {
  status?: number;
  body?: string;
  code?: string;
  error?: string;
}

function postJson(port: number, path: string, body: unknown, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve) => {
    const data = Buffer.from(JSON.stringify(body));
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    // A fresh connection per request (agent: false): a pooled socket to a killed agent would blur the outcome.
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': data.length, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ code: err.code, error: err.message }));
        res.on('aborted', () => finish({ code: 'ABORTED', error: 'response aborted' }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ code: err.code, error: err.message }));
    req.end(data);
  });
}

/** A steady stream of typed weighings, each with a distinct net weight, and what became of each request. */
export class WeighingSource {
  readonly records: PostRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private readonly byId = new Map<string, PostRecord>();

  constructor(
    private readonly agentPort: number,
    private readonly offset = 0,
  ) {}

  /** Net weight of the n-th request: distinct for every request, exactly representable in a JSON number. */
  static netKg(n: number): number {
    return Math.round((0.5 + n * 0.001) * 1000) / 1000;
  }

  start(intervalMs = 50, concurrency = 4): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.inFlight < concurrency) void this.postOne();
    }, intervalMs);
  }

  /** Stops sending and waits for every request in flight to end. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  recordOf(id: string): PostRecord | undefined {
    return this.byId.get(id);
  }

  count(outcome: PostOutcome): number {
    return this.records.filter((r) => r.outcome === outcome).length;
  }

  /** The latest acknowledged ids (for the hostile replays). */
  lastAcked(n: number): string[] {
    const out: string[] = [];
    for (let i = this.records.length - 1; i >= 0 && out.length < n; i--) if (this.records[i]!.id) out.push(this.records[i]!.id!);
    return out;
  }

  async postOne(): Promise<PostRecord> {
    const n = this.offset + this.records.length;
    const rec: PostRecord = { n, netKg: WeighingSource.netKg(n), category: CATEGORIES[n % CATEGORIES.length]!, outcome: 'in-flight' };
    this.records.push(rec);
    this.inFlight++;
    try {
      const r = await postJson(this.agentPort, '/api/v1/weighings', { device: SCALE, netKg: rec.netKg, category: rec.category }, 15_000);
      if (r.status === 201) {
        try {
          const id = (JSON.parse(r.body ?? '') as { id?: unknown }).id;
          if (typeof id !== 'string') throw new Error('no id');
          rec.id = id;
          rec.outcome = 'acked';
          this.byId.set(id, rec);
        } catch {
          rec.outcome = 'unanswered';
          rec.error = `201 without a readable id: ${r.body?.slice(0, 200)}`;
        }
      } else if (r.status !== undefined) {
        rec.outcome = 'rejected';
        rec.status = r.status;
        rec.error = r.body?.slice(0, 200);
      } else if (r.code === 'ECONNREFUSED') {
        rec.outcome = 'refused';
      } else {
        rec.outcome = 'unanswered';
        rec.error = `${r.code ?? ''} ${r.error ?? ''}`.trim();
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idle.splice(0)) w();
    }
    return rec;
  }
}

// ───────────────────────────── the door counter ─────────────────────────────

/**
 * A simulated serial door counter behind a TCP device server, with people walking through at random:
 * its `counted` totals are exactly what InfluxDB must hold in the end.
 */
export class DoorCounterSource {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly sim: SimulatedSerialCounter,
    readonly server: TcpSerialServer,
    private readonly dice: Dice,
  ) {}

  static async start(dice: Dice): Promise<DoorCounterSource> {
    const sim = new SimulatedSerialCounter({ intervalMs: 100, customersPerDay: 0, seed: dice.int(1, 1_000_000) });
    const server = await TcpSerialServer.listen(sim);
    sim.start();
    return new DoorCounterSource(sim, server, dice);
  }

  get port(): number {
    return this.server.port;
  }

  get expected(): { in: number; out: number } {
    return this.sim.counted;
  }

  startWalking(everyMs = 150): void {
    this.timer ??= setInterval(() => {
      const i = this.dice.int(0, 2);
      const o = this.dice.int(0, 2);
      if (i) this.sim.walkIn(i);
      if (o) this.sim.walkOut(o);
    }, everyMs);
  }

  stopWalking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stopWalking();
    this.sim.stop();
    await this.server.close();
  }
}

/** A scale's device server that accepts the agent's connection and never says anything: weighings are typed. */
export async function silentDevice(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ───────────────────────────── the broker ─────────────────────────────

export interface BrokerCredentials {
  file: string;
  password(username: string): string;
}

// ───────────────────────────── the agent's outbox, seen from outside ─────────────────────────────

interface HealthSeen {
  depth: number;
  at: number;
}

/**
 * Watches the agent's periodic health (outbox depth) as the dashboards would, straight on the broker.
 */
export class AgentWatch {
  last: HealthSeen | undefined;
  constructor(readonly client: MqttClient) {
    client.on('connect', () => client.subscribe(agentTopic(SITE, AGENT, 'health'), { qos: 0 }));
    client.on('message', (_topic, payload, packet) => {
      // Health is retained: the copy a (re)subscription brings may be older than `since` says.
      if (packet.retain) return;
      try {
        const h = JSON.parse(payload.toString()) as { outbox?: { depth?: number } };
        if (typeof h.outbox?.depth === 'number') this.last = { depth: h.outbox.depth, at: Date.now() };
      } catch {
        // not ours to judge
      }
    });
    client.on('error', () => undefined);
  }

  static start(brokerPort: number, credentials: BrokerCredentials): AgentWatch {
    return new AgentWatch(
      mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
        username: 'dashboards',
        password: credentials.password('dashboards'),
        clientId: `dashboards:chaos-watch-${randomUUID().slice(0, 8)}`,
        reconnectPeriod: 500,
        connectTimeout: 5000,
      }),
    );
  }

  /** The outbox depth reported after `since`, if any. */
  depthSince(since: number): number | undefined {
    return this.last && this.last.at >= since ? this.last.depth : undefined;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

// ───────────────────────────── the stack ─────────────────────────────

export interface StackOptions {
  name: string;
  broker: BrokerKind;
  dice: Dice;
  /** Parent folder of the scenario's folder (logs, data, configs). */
  root: string;
  /**
   * The agent's first run ever (no identity file): it records its install date at start. Otherwise the
   * agent is one installed an hour ago, as on a site that has been running for a while.
   */
  freshInstall?: boolean;
  /** Length of the door counter's visits buckets (default 1 s). */
  bucketSeconds?: number;
  /** The agent's link to the broker (default plain MQTT); ingest and the watch stay on the plain loopback port, as on a server. */
  transport?: Transport;
  /**
   * TLS with the operator's files (`certificates: {certFile, keyFile, caFile}`), made here with the product's
   * generator, which a scenario may renew under load. Mosquitto always gets those (it generates nothing);
   * our broker otherwise generates its own CA and certificate at first start.
   */
  operatorCertificates?: boolean;
}

/**
 * Everything one scenario runs: influxd, the broker (ours or Mosquitto), ingest, the agent behind the
 * proxy, a silent scale device, the simulated door counter, the weighing source, and the watch.
 */
export class Stack {
  influx!: InfluxControl;
  broker!: ManagedProcess;
  ingest!: ManagedProcess;
  agent!: ManagedProcess;
  proxy!: TcpProxy;
  counter!: DoorCounterSource;
  weighings!: WeighingSource;
  watch!: AgentWatch;
  credentials!: BrokerCredentials;
  /** The broker's plain loopback port (ingest, the watch, the hostile clients). */
  brokerPort = 0;
  /** The broker's port the proxy leads the agent to: the plain one, the TLS one or the HTTPS (WebSocket) one. */
  linkPort = 0;
  /** The CA the agent pins (TLS transports). */
  caFile: string | undefined;
  /** The operator's certificate files, when the stack runs with them. */
  certificates: OperatorCertificates | undefined;
  agentHttpPort = 0;
  readonly dir: string;
  private scale!: { port: number; close(): Promise<void> };
  private readonly started = Date.now();
  readonly bucketSeconds: number;
  readonly transport: Transport;

  constructor(readonly opts: StackOptions) {
    this.dir = join(opts.root, opts.name);
    this.bucketSeconds = opts.bucketSeconds ?? 1;
    this.transport = opts.transport ?? 'tcp';
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  get dice(): Dice {
    return this.opts.dice;
  }

  get processes(): ManagedProcess[] {
    return [this.broker, this.ingest, this.agent].filter((p): p is ManagedProcess => p !== undefined);
  }

  /** Starts everything; tried twice, since a port found free may be taken by another process before it is bound. */
  static async start(opts: StackOptions): Promise<Stack> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      const stack = new Stack(opts);
      try {
        await stack.up();
        return stack;
      } catch (err) {
        lastError = err;
        await stack.down();
      }
    }
    throw lastError;
  }

  private async up(): Promise<void> {
    const { dir } = this;
    this.influx = await InfluxControl.start(join(dir, 'influxd'));
    const ports = await distinctFreePorts(3);
    this.brokerPort = ports[0]!;
    this.agentHttpPort = ports[1]!;
    this.linkPort = this.transport === 'tcp' ? this.brokerPort : ports[2]!;

    // The broker's users: generated by the product's own code, used by our broker or handed to Mosquitto.
    const brokerData = join(dir, 'broker-data');
    const agents = [{ site: SITE, agent: AGENT }];
    ensureUsers(brokerData, configuredUsers({ agents }));
    const credentialsFile = credentialsPaths(brokerData).credentials;
    const creds = readCredentials(credentialsFile)!;
    this.credentials = {
      file: credentialsFile,
      password: (u) => {
        const entry = creds.mqtt[u];
        if (!entry) throw new Error(`no user ${u} in ${credentialsFile}`);
        return entry.password;
      },
    };

    const brokerReady = (p: ManagedProcess) =>
      waitFor(`${p.name} to accept connections`, async () => (await tcpAccepts(this.brokerPort)) && tcpAccepts(this.linkPort), 20_000).then(() => undefined);
    const linkListener = { host: '127.0.0.1', port: this.linkPort };
    if (this.transport !== 'tcp' && (this.opts.operatorCertificates || this.opts.broker === 'mosquitto')) {
      mkdirSync(join(dir, 'certificates'), { mode: 0o700 });
      this.certificates = await writeOperatorCertificates(join(dir, 'certificates'));
    }
    const brokerConfig = {
      listen: { host: '127.0.0.1', port: this.brokerPort },
      ...(this.transport === 'tls' ? { tls: linkListener } : this.transport === 'wss' ? { https: linkListener } : {}),
      ...(this.transport === 'tcp' ? {} : { certificates: this.certificates ? { certFile: this.certificates.certFile, keyFile: this.certificates.keyFile, caFile: this.certificates.caFile } : { names: SERVER_NAMES } }),
      dataDir: brokerData,
      agents,
    };
    if (this.opts.broker === 'aedes') {
      const conf = this.writeConfig('broker.yaml', brokerConfig);
      this.broker = cliProcess('broker', 'broker', conf, join(dir, 'broker.log'), brokerReady);
    } else {
      const { conf } = (await writeTestMosquittoConfig(brokerConfigSchema.parse(brokerConfig), join(dir, 'mosquitto'))).files;
      this.broker = new ManagedProcess({ name: 'mosquitto', command: MOSQUITTO, args: ['-c', conf], logFile: join(dir, 'mosquitto.log'), ready: brokerReady });
    }
    await this.broker.start();
    // Generated at the broker's first start: the CA an enrolled agent pins.
    if (this.transport !== 'tcp') this.caFile = this.certificates?.caFile ?? generatedTlsPaths(brokerData).caCert;

    const ingestConf = this.writeConfig('ingest.yaml', {
      mqtt: { url: `mqtt://127.0.0.1:${this.brokerPort}`, username: 'ingest', credentialsFile },
      influx: { url: this.influx.url, database: DATABASE },
    });
    this.ingest = cliProcess('ingest', 'ingest', ingestConf, join(dir, 'ingest.log'), logLine(/"msg":"ingest subscribed"/));
    await this.ingest.start();

    this.proxy = await TcpProxy.listen(this.linkPort);
    this.scale = await silentDevice();
    this.counter = await DoorCounterSource.start(this.dice);
    const agentConf = this.writeConfig('agent.yaml', {
      site: SITE,
      agent: AGENT,
      dataDir: join(dir, 'agent-data'),
      clock: 'assume-synced',
      healthIntervalS: 1,
      mqtt: { url: this.agentBrokerUrl(), username: agentUsername(SITE, AGENT), credentialsFile, ...(this.caFile ? { caFile: this.caFile } : {}) },
      http: { host: '127.0.0.1', port: this.agentHttpPort },
      // Resent after 1 s without a receipt, backing off to 4 s: a chaos run converges in seconds, not minutes.
      receipts: { timeoutMs: 1000, maxBackoffMs: 4000 },
      devices: [
        { id: SCALE, type: 'scale', driver: 'stgs', transport: { type: 'tcp', host: '127.0.0.1', port: this.scale.port } },
        { id: DOOR, type: 'counter', driver: 'serial-counter', transport: { type: 'tcp', host: '127.0.0.1', port: this.counter.port }, visits: { bucketSeconds: this.bucketSeconds } },
      ],
    });
    const agentData = join(dir, 'agent-data');
    if (!this.opts.freshInstall) {
      mkdirSync(agentData, { recursive: true, mode: 0o700 });
      writeFileSync(join(agentData, 'identity.json'), `${JSON.stringify({ installedAt: new Date(Date.now() - 3600_000).toISOString() })}\n`, { mode: 0o600 });
    }
    this.agent = cliProcess('agent', 'agent', agentConf, join(dir, 'agent.log'), (p) =>
      waitFor(`${p.name} to answer HTTP`, () => this.agentDevices().then(() => true), 30_000).then(() => undefined),
    );
    if (this.opts.freshInstall && this.bucketSeconds > 1) {
      // Started early in a bucket, so that its first visitors fall in the bucket its install date is in.
      const bucketMs = this.bucketSeconds * 1000;
      await waitFor('the start of a bucket', () => Date.now() % bucketMs < 1000, bucketMs + 1000, 20);
    }
    await this.agent.start();
    this.watch = AgentWatch.start(this.brokerPort, this.credentials);
    this.weighings = new WeighingSource(this.agentHttpPort);
    // Counts before the agent's first reading would be its baseline, not visitors: walk only once it has read.
    await waitFor('the agent to read the door counter', async () => (await this.counterState())?.health?.lastReadingAt, 20_000, 100);
  }

  /** The broker as the agent's config names it: through the proxy, over the stack's transport. */
  private agentBrokerUrl(): string {
    const at = `127.0.0.1:${this.proxy.port}`;
    return { tcp: `mqtt://${at}`, tls: `mqtts://${at}`, wss: `wss://${at}${WEBSOCKET_PATH}` }[this.transport];
  }

  /**
   * Whether every connection the agent opened through the proxy was of the stack's transport (a TLS
   * handshake for tls and wss, none for tcp); undefined when it was, else what went wrong.
   */
  linkMismatch(): string | undefined {
    const { tls, plain } = this.proxy.opened;
    if (this.transport === 'tcp') return tls > 0 ? `${tls} of the agent's connections began with a TLS handshake, on a plain link` : undefined;
    if (tls === 0) return `none of the agent's connections through the proxy began with a TLS handshake (${plain} did not)`;
    return plain > 0 ? `${plain} of the agent's connections through the proxy began without a TLS handshake (${tls} with)` : undefined;
  }

  private writeConfig(file: string, content: unknown): string {
    const path = join(this.dir, file);
    // JSON is YAML: the CLI reads it as any other config file.
    writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
    return path;
  }

  /** GET /api/v1/devices on the agent. */
  agentDevices(): Promise<Array<{ id: string; openBucket?: unknown; health?: { lastReadingAt?: string | null } }>> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.agentHttpPort, path: '/api/v1/devices', agent: false, timeout: 3000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/devices: ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  async counterState() {
    return (await this.agentDevices()).find((d) => d.id === DOOR);
  }

  /** Starts the load: the weighing stream and people walking through the door. */
  startLoad(intervalMs = 50, concurrency = 4): void {
    this.weighings.start(intervalMs, concurrency);
    this.counter.startWalking();
  }

  async stopLoad(): Promise<void> {
    this.counter.stopWalking();
    await this.weighings.stop();
  }

  /** Restarts whatever the chaos left down, so that the agent can deliver what it holds. */
  async heal(): Promise<void> {
    this.proxy.restore();
    if (!this.influx.isRunning) await this.influx.start();
    if (!this.broker.running) await this.broker.start();
    if (!this.ingest.running) await this.ingest.start();
    if (!this.agent.running) await this.agent.start();
  }

  /** What InfluxDB holds now. */
  async stored(): Promise<Stored> {
    const db = this.influx.client();
    const rows = await db.query<{ event_id: string; net_kg: number; category: string; device: string }>(
      `SELECT "event_id", "net_kg", "category", "device" FROM "weighing"`,
    );
    const sums = await db.query<{ i: number | null; o: number | null; n: number }>(`SELECT sum("in") AS "i", sum("out") AS "o", count("in") AS "n" FROM "visits"`);
    const s = sums[0];
    return {
      weighings: rows.map((r) => ({ id: r.event_id, netKg: r.net_kg, category: r.category, device: r.device })),
      visits: { in: s?.i ?? 0, out: s?.o ?? 0, buckets: s?.n ?? 0 },
    };
  }

  /**
   * Waits until everything the agent holds has been delivered: either InfluxDB has every acknowledged
   * weighing and exactly the counted visits, or the agent reports an empty outbox, no open bucket, and
   * nothing changes in InfluxDB for a while (what is missing then is lost for good).
   */
  async settle(timeoutMs: number): Promise<{ settled: 'complete' | 'quiet' | 'timeout'; ms: number }> {
    const t0 = Date.now();
    const acked = this.weighings.records.filter((r) => r.outcome === 'acked');
    const ackedIds = new Set(acked.map((r) => r.id!));
    let lastKey = '';
    let quietSince = Date.now();
    for (;;) {
      const now = Date.now();
      let stored: Stored | undefined;
      let openBucket: unknown = 'unknown';
      try {
        stored = await this.stored();
      } catch {
        stored = undefined;
      }
      try {
        openBucket = (await this.counterState())?.openBucket ?? null;
      } catch {
        openBucket = 'unknown';
      }
      const exp = this.counter.expected;
      if (stored) {
        const key = `${stored.weighings.length}/${stored.visits.in}/${stored.visits.out}/${stored.visits.buckets}`;
        if (key !== lastKey) {
          lastKey = key;
          quietSince = now;
        }
        const ids = new Set(stored.weighings.map((w) => w.id));
        let all = true;
        for (const id of ackedIds) if (!ids.has(id)) all = false;
        const depth = this.watch.depthSince(now - 2500);
        if (all && stored.visits.in === exp.in && stored.visits.out === exp.out && openBucket === null && depth === 0) {
          return { settled: 'complete', ms: Date.now() - t0 };
        }
        if (depth === 0 && openBucket === null && now - quietSince > 6000) return { settled: 'quiet', ms: Date.now() - t0 };
      }
      if (now - t0 > timeoutMs) return { settled: 'timeout', ms: Date.now() - t0 };
      await sleep(500);
    }
  }

  /** Unexpected exits of any component during the scenario. */
  crashes(): string[] {
    return this.processes.flatMap((p) => p.crashes);
  }

  get elapsedS(): number {
    return (Date.now() - this.started) / 1000;
  }

  async down(): Promise<void> {
    const quietly = async (f: () => Promise<unknown> | unknown) => {
      try {
        await f();
      } catch {
        // tearing down: keep going
      }
    };
    await quietly(() => this.weighings?.stop());
    await quietly(() => this.watch?.close());
    await quietly(() => this.agent?.stop());
    await quietly(() => this.ingest?.stop());
    await quietly(() => this.broker?.stop());
    await quietly(() => this.proxy?.close());
    await quietly(() => this.counter?.close());
    await quietly(() => this.scale?.close());
    await quietly(() => this.influx?.stop());
  }

  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Stored {
  weighings: { id: string; netKg: number; category: string; device: string }[];
  visits: { in: number; out: number; buckets: number };
}

// ───────────────────────────── the verdict ─────────────────────────────

export interface Tally {
  scenario: string;
  broker: BrokerKind;
  /** The agent's link to the broker. */
  transport: Transport;
  /** What the chaos did, e.g. "agent SIGKILL ×50". */
  chaos: string;
  /** Acknowledged weighings plus counted passages. */
  sent: number;
  stored: number;
  lost: number;
  doubled: number;
  /** Stored with a wrong value, or stored although never accepted (phantoms). */
  wrong: number;
  /** Component exits nobody asked for. */
  crashes: number;
  seconds: number;
  settled: string;
  weighings: {
    posted: number;
    acked: number;
    unanswered: number;
    unansweredStored: number;
    refused: number;
    rejected: number;
    rows: number;
    lost: number;
    doubled: number;
  };
  visits: { expectedIn: number; expectedOut: number; storedIn: number; storedOut: number; buckets: number };
  notes: string[];
  /** The harness could not run the scenario to its end (a component that would not restart…). */
  error?: string;
}

const sameNumber = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/**
 * Compares what InfluxDB holds with what was sent. lost: acknowledged ids missing, visitors missing;
 * doubled: rows beyond one per event id (or per posted value), visitors above the count; wrong: a
 * stored value that is not the posted one, or a weighing nobody posted.
 */
export function judge(
  run: Pick<Tally, 'scenario' | 'broker' | 'transport' | 'chaos'>,
  records: PostRecord[],
  expected: { in: number; out: number },
  stored: Stored,
): Omit<Tally, 'crashes' | 'seconds' | 'settled'> {
  const notes: string[] = [];
  const byValue = new Map<number, PostRecord>();
  for (const r of records) byValue.set(Math.round(r.netKg * 1000), r);
  const rowsById = new Map<string, Stored['weighings']>();
  const idsByValue = new Map<number, Set<string>>();
  let wrong = 0;
  for (const row of stored.weighings) {
    rowsById.set(row.id, [...(rowsById.get(row.id) ?? []), row]);
    const key = Math.round(row.netKg * 1000);
    idsByValue.set(key, (idsByValue.get(key) ?? new Set()).add(row.id));
  }
  const acked = records.filter((r) => r.outcome === 'acked');
  let lostW = 0;
  let doubledW = 0;
  let storedAcked = 0;
  for (const r of acked) {
    const rows = rowsById.get(r.id!) ?? [];
    if (rows.length === 0) {
      lostW++;
      continue;
    }
    storedAcked++;
    doubledW += rows.length - 1;
    for (const row of rows) {
      if (!sameNumber(row.netKg, r.netKg) || row.category !== r.category || row.device !== SCALE) {
        wrong++;
        if (notes.length < 5) notes.push(`event ${r.id} stored as ${row.netKg} kg ${row.category} on ${row.device}, posted ${r.netKg} kg ${r.category}`);
      }
    }
  }
  // Every posted value stands for one request: two event ids carrying it means one request stored twice.
  for (const [value, ids] of idsByValue) {
    if (ids.size > 1) {
      doubledW += ids.size - 1;
      if (notes.length < 5) notes.push(`${value / 1000} kg stored under ${ids.size} event ids`);
    }
  }
  const byId = new Map(acked.map((r) => [r.id!, r]));
  let unansweredStored = 0;
  for (const [id, rows] of rowsById) {
    const rec = byId.get(id) ?? byValue.get(Math.round(rows[0]!.netKg * 1000));
    if (!rec) {
      wrong += rows.length;
      if (notes.length < 5) notes.push(`phantom weighing ${id} (${rows[0]!.netKg} kg): nobody posted it`);
      continue;
    }
    if (rec.outcome === 'acked') continue;
    if (rec.outcome === 'refused') {
      wrong += rows.length;
      if (notes.length < 5) notes.push(`weighing ${rec.netKg} kg stored although its connection was refused`);
      continue;
    }
    unansweredStored++;
    doubledW += rows.length - 1;
  }
  const lostV = Math.max(0, expected.in - stored.visits.in) + Math.max(0, expected.out - stored.visits.out);
  const doubledV = Math.max(0, stored.visits.in - expected.in) + Math.max(0, stored.visits.out - expected.out);
  const count = (o: PostOutcome) => records.filter((r) => r.outcome === o).length;
  return {
    ...run,
    sent: acked.length + expected.in + expected.out,
    stored: storedAcked + Math.min(stored.visits.in, expected.in) + Math.min(stored.visits.out, expected.out),
    lost: lostW + lostV,
    doubled: doubledW + doubledV,
    wrong,
    weighings: {
      posted: records.length,
      acked: acked.length,
      unanswered: count('unanswered') + count('in-flight'),
      unansweredStored,
      refused: count('refused'),
      rejected: count('rejected'),
      rows: stored.weighings.length,
      lost: lostW,
      doubled: doubledW,
    },
    visits: { expectedIn: expected.in, expectedOut: expected.out, storedIn: stored.visits.in, storedOut: stored.visits.out, buckets: stored.visits.buckets },
    notes,
  };
}

export function passed(t: Tally): boolean {
  return t.lost === 0 && t.doubled === 0 && t.wrong === 0 && t.crashes === 0 && !t.error;
}

/** The table, as printed by `npm run chaos` and the short suite. */
export function formatTable(tallies: Tally[]): string {
  const head = ['scenario', 'broker', 'transport', 'chaos', 'events sent', 'stored', 'lost', 'doubled', 'wrong', 'crashes', 'time', 'verdict'];
  const rows = tallies.map((t) => [
    t.scenario,
    t.broker,
    t.transport,
    t.chaos,
    String(t.sent),
    String(t.stored),
    String(t.lost),
    String(t.doubled),
    String(t.wrong),
    String(t.crashes),
    `${t.seconds.toFixed(0)} s`,
    passed(t) ? 'ok' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([4, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' │ ');
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const details = tallies.map((t) => {
    const w = t.weighings;
    const v = t.visits;
    return [
      `${t.scenario} (${t.broker}, ${t.transport}): weighings ${w.acked} acknowledged (${w.lost} lost, ${w.doubled} doubled), ${w.unanswered} unanswered (${w.unansweredStored} stored, at most once each), ${w.refused} refused, ${w.rejected} rejected, ${w.rows} rows; ` +
        `visits in ${v.storedIn}/${v.expectedIn} out ${v.storedOut}/${v.expectedOut} in ${v.buckets} buckets; settled: ${t.settled}`,
      ...t.notes.map((n) => `    - ${n}`),
    ].join('\n');
  });
  return [line(head), rule, ...rows.map(line), '', 'events sent = weighings answered 201 + door passages counted; stored = those found in InfluxDB.', ...details].join('\n');
}

export function chaosRoot(): string {
  const dir = join(process.env.CHAOS_DIR ?? tmpdir(), `trebuchet-chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type Modbus from 'modbus-serial';
import type { Logger } from '../../runtime/log.js';
import type { LinkState } from '../drivers/scale.js';
import type { ModbusBus, ModbusBusEvents, ModbusIo, ModbusSlave, ModbusSlaveEvents, SlaveState } from './bus.js';
import { modbusBusSchema, type ModbusBusConfig, type ModbusBusConfigInput } from './config.js';

type ModbusClient = InstanceType<typeof Modbus.default>;

/** A replugged USB-RS485 adapter is reopened this often: back within 3 s of its return. */
const SERIAL_RETRY_MS = 500;
/** TCP reconnects double from this up to the cap. */
const TCP_FIRST_RETRY_MS = 100;
const TCP_MAX_RETRY_MS = 2_000;
/** A host that drops SYNs would otherwise hold the connect for minutes. */
const TCP_CONNECT_TIMEOUT_MS = 3_000;
/** Modbus allows at most 125 registers in one FC03/FC04 answer. */
const MAX_READ_COUNT = 125;

/** Creates a bus from its config (validated here); nothing is opened until start(). */
export function createModbusBus(config: ModbusBusConfigInput, log?: Logger): ModbusBus {
  return new Bus(modbusBusSchema.parse(config), log);
}

/** The slave a device config names (`bus` id and `unitId`), on the agent's buses by id. */
export function slaveOf(buses: ReadonlyMap<string, ModbusBus>, device: { bus: string; unitId: number }, name: string): ModbusSlave {
  const bus = buses.get(device.bus);
  if (!bus) throw new Error(`device ${name}: no Modbus bus "${device.bus}" (buses: ${[...buses.keys()].join(', ') || 'none'})`);
  return bus.slave(device.unitId, name);
}

interface Job {
  intervalMs: number;
  poll: (io: ModbusIo) => Promise<void>;
  nextDue: number;
}

interface Work {
  slave: Slave;
  exchange: (io: ModbusIo) => Promise<unknown>;
  /** Set for one-off run() exchanges. */
  settle?: { resolve: (value: unknown) => void; reject: (error: Error) => void };
}

class Slave extends EventEmitter<ModbusSlaveEvents> implements ModbusSlave {
  readonly jobs: Job[] = [];
  /** Consecutive failures; the retry interval doubles with each. */
  failures = 0;
  /** Before this time the slave is not polled (one-off run() exchanges still go). */
  retryAt = 0;
  /** The link outage this slave was already told about. */
  private toldOutage: number | undefined;

  constructor(
    private readonly bus: Bus,
    readonly unitId: number,
    readonly name: string,
  ) {
    super();
  }

  get state(): SlaveState {
    return this.failures > 0 ? 'backoff' : 'ok';
  }

  schedule(intervalMs: number, poll: (io: ModbusIo) => Promise<void>): void {
    if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new RangeError(`poll interval must be at least 1 ms, got ${intervalMs}`);
    this.jobs.push({ intervalMs, poll, nextDue: Math.max(Date.now(), this.retryAt) });
    this.bus.wake();
  }

  run<T>(exchange: (io: ModbusIo) => Promise<T>): Promise<T> {
    return this.bus.enqueue(this, exchange);
  }

  /** The earliest due poll, if any is due now. */
  dueJob(now: number): Job | undefined {
    if (this.retryAt > now) return undefined;
    let best: Job | undefined;
    for (const job of this.jobs) if (job.nextDue <= now && (!best || job.nextDue < best.nextDue)) best = job;
    return best;
  }

  /** When this slave next wants the bus. */
  nextDue(): number {
    let due = Infinity;
    for (const job of this.jobs) due = Math.min(due, job.nextDue);
    return Math.max(due, this.retryAt);
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.failures = 0;
    this.retryAt = 0;
    this.bus.log?.info({ bus: this.bus.id, unit: this.unitId, slave: this.name }, 'modbus slave answers again');
    this.emit('recovered');
  }

  /** Backs off: the first retry comes after one poll interval, then 2×, 4×… up to maxBackoffMs. */
  failed(error: Error, now: number): void {
    this.failures++;
    const base = this.jobs.length ? Math.min(...this.jobs.map((j) => j.intervalMs)) : this.bus.config.timeoutMs;
    const delay = Math.min(this.bus.config.maxBackoffMs, base * 2 ** (this.failures - 1));
    this.retryAt = now + delay;
    for (const job of this.jobs) job.nextDue = Math.max(job.nextDue, this.retryAt);
    if (this.failures === 1) this.bus.log?.warn({ bus: this.bus.id, unit: this.unitId, slave: this.name, err: error.message }, 'modbus slave failed; backing off');
    this.report(error);
  }

  /** A link outage is told once per outage; it does not back the slave off (the slave is not at fault). */
  linkDown(outage: number, error: Error): void {
    if (this.toldOutage === outage || this.jobs.length === 0) return;
    this.toldOutage = outage;
    this.report(error);
  }

  private report(error: Error): void {
    // An 'error' event without a listener would throw in the bus loop.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** Tries of one read while the event loop keeps stalling (see TurnIo.exchange); a write is sent once. */
const MAX_STALLED_ATTEMPTS = 3;

/** The registers of one slave during its turn on the bus; unusable once the turn is over. */
class TurnIo implements ModbusIo {
  private active = true;

  constructor(
    private readonly client: ModbusClient,
    private readonly slave: Slave,
    private readonly timeoutMs: number,
  ) {}

  end(): void {
    this.active = false;
  }

  async readRegisters(kind: 'holding' | 'input', address: number, count: number): Promise<number[]> {
    const what = `read ${kind} ${address}+${count}`;
    if (!Number.isInteger(count) || count < 1 || count > MAX_READ_COUNT) throw new RangeError(`${what}: count must be 1–${MAX_READ_COUNT}`);
    checkAddress(address + count - 1, what);
    const request = () => (kind === 'holding' ? this.client.readHoldingRegisters(address, count) : this.client.readInputRegisters(address, count));
    // A read changes nothing: when its answer came in late, reading again is safe.
    const result = await this.exchange(what, request, () => ({ retry: true }));
    return result.data;
  }

  async writeRegister(address: number, value: number): Promise<void> {
    const what = `write holding ${address} = ${value}`;
    checkAddress(address, what);
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${what}: not a 16-bit value`);
    // A write is not sent twice (a command word would act twice): its late answer is its echo, or a failure.
    const echo = Buffer.from([this.slave.unitId, 6, address >> 8, address & 0xff, value >> 8, value & 0xff]);
    await this.exchange(
      what,
      () => this.client.writeRegister(address, value),
      (late) => (late.subarray(0, echo.length).equals(echo) ? { answer: { address, value } } : undefined),
    );
  }

  /**
   * One request and its answer. `late` decides what to do with an answer that came in after the timeout
   * was declared. When the agent's event loop stalls (a loaded Pi, its kiosk browser beside it), modbus-serial's
   * timer runs late, and before the answer already waiting in the socket or the tty is read: that is not a
   * silent slave. A timer that ran late by more than `stallMs` is taken for such a stall, and the answer
   * waited for a while longer; a timeout on time fails at once, as before.
   */
  private async exchange<T>(what: string, request: () => Promise<T>, late: (frame: Buffer) => { retry: true } | { answer: T } | undefined): Promise<T> {
    if (!this.active) throw new Error(`unit ${this.slave.unitId}: ${what} outside the slave's turn on the bus`);
    const port = portOf(this.client);
    let frame: Buffer | undefined;
    let answered: (() => void) | undefined;
    const onFrame = (f: Buffer) => {
      if (f[0] !== this.slave.unitId) return;
      frame = f;
      answered?.();
    };
    port?.on('data', onFrame);
    try {
      for (let attempt = 1; ; attempt++) {
        frame = undefined;
        const sentAt = performance.now();
        try {
          return await this.once(request);
        } catch (err) {
          const stallMs = Math.max(50, this.timeoutMs / 4);
          if (attempt === MAX_STALLED_ATTEMPTS || !isTimeout(err) || performance.now() - sentAt - this.timeoutMs < stallMs) throw err;
          if (!frame) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, this.timeoutMs);
              answered = () => (clearTimeout(timer), resolve());
            });
          }
          const verdict = frame ? late(frame) : undefined;
          if (!verdict) throw err;
          if ('answer' in verdict) return verdict.answer;
        }
      }
    } catch (err) {
      const message = errorMessage(err);
      const hint = isTimeout(err) ? ` (no answer within ${this.timeoutMs} ms: slave off, wrong unit id or wiring?)` : '';
      throw new Error(`unit ${this.slave.unitId} (${this.slave.name}): ${what}: ${message}${hint}`, { cause: err });
    } finally {
      port?.off('data', onFrame);
    }
  }

  private async once<T>(request: () => Promise<T>): Promise<T> {
    this.client.setID(this.slave.unitId);
    this.client.setTimeout(this.timeoutMs);
    dropStaleBytes(this.client);
    let guard: NodeJS.Timeout | undefined;
    try {
      // modbus-serial times the request out itself; this guard only covers a request that never settles.
      return await Promise.race([
        request(),
        new Promise<never>((_, reject) => {
          guard = setTimeout(() => reject(new Error('Timed out')), this.timeoutMs * 2 + 100);
        }),
      ]);
    } finally {
      clearTimeout(guard);
    }
  }
}

class Bus extends EventEmitter<ModbusBusEvents> implements ModbusBus {
  readonly id: string;
  private readonly slaves: Slave[] = [];
  private readonly runs: Work[] = [];
  private client: ModbusClient | undefined;
  private linkOpen = false;
  /** Counts outages, so each slave is told of each one once. */
  private outage = 0;
  private outageReported = false;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Round-robin position: the slave after the last one served is looked at first. */
  private turn = 0;
  private tcpRetryMs = TCP_FIRST_RETRY_MS;

  constructor(
    readonly config: ModbusBusConfig,
    readonly log?: Logger,
  ) {
    super();
    this.id = config.id;
  }

  slave(unitId: number, name: string): ModbusSlave {
    const rtu = this.config.transport.type !== 'tcp';
    // Modbus TCP gateways also answer 0 and 255; on a serial line 0 is broadcast and 248–255 are reserved.
    const [min, max] = rtu ? [1, 247] : [0, 255];
    if (!Number.isInteger(unitId) || unitId < min || unitId > max) throw new RangeError(`bus ${this.id}: unit id must be ${min}–${max}, got ${unitId}`);
    const taken = this.slaves.find((s) => s.unitId === unitId);
    if (taken) throw new Error(`bus ${this.id}: unit ${unitId} is already used by ${taken.name}`);
    const slave = new Slave(this, unitId, name);
    this.slaves.push(slave);
    return slave;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outageReported = false;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    const wasOpen = this.linkOpen;
    this.dropClient();
    this.rejectRuns(new Error(`bus ${this.id} stopped`));
    if (wasOpen) this.emit('link', 'closed', 'stopped');
  }

  wake(): void {
    this.wakeUp?.();
  }

  enqueue<T>(slave: Slave, exchange: (io: ModbusIo) => Promise<T>): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`bus ${this.id} is not running`));
    return new Promise<T>((resolve, reject) => {
      this.runs.push({ slave, exchange, settle: { resolve: resolve as (value: unknown) => void, reject } });
      this.wake();
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // A listener that throws (a driver's bug) must not stop the bus for every other slave.
        this.log?.error({ bus: this.id, err: errorMessage(err) }, 'modbus bus loop error');
        await sleep(this.config.timeoutMs);
      }
    }
  }

  private async step(): Promise<void> {
    const client = this.client;
    if (!client?.isOpen) {
      if (client) this.lost(client, 'connection closed');
      await this.connect();
      return;
    }
    const now = Date.now();
    const work = this.nextWork(now);
    if (!work) {
      await this.idle(this.nextDue() - now);
      return;
    }
    await this.execute(client, work);
    if (this.config.interFrameDelayMs) await sleep(this.config.interFrameDelayMs);
  }

  /** One-off exchanges first, in order; then the due polls, one slave after the other. */
  private nextWork(now: number): Work | undefined {
    const run = this.runs.shift();
    if (run) return run;
    const n = this.slaves.length;
    for (let i = 0; i < n; i++) {
      const index = (this.turn + i) % n;
      const slave = this.slaves[index]!;
      const job = slave.dueJob(now);
      if (!job) continue;
      this.turn = index + 1;
      // Keeps the poll's phase so a poll delayed by another slave's timeout is made up, but never runs more
      // than one timeout behind: a bus that cannot keep up does not pile up a backlog.
      job.nextDue = Math.max(job.nextDue + job.intervalMs, now - this.config.timeoutMs);
      return { slave, exchange: job.poll };
    }
    return undefined;
  }

  private nextDue(): number {
    let due = Infinity;
    for (const slave of this.slaves) due = Math.min(due, slave.nextDue());
    return due;
  }

  private async execute(client: ModbusClient, work: Work): Promise<void> {
    const io = new TurnIo(client, work.slave, this.config.timeoutMs);
    let outcome: { ok: true; value: unknown } | { ok: false; error: Error };
    try {
      outcome = { ok: true, value: await work.exchange(io) };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err : new Error(errorMessage(err)) };
    } finally {
      io.end();
    }
    // Settled first, so that a throwing event listener below cannot leave a run() waiting forever
    // (its callers still see the slave's 'error' event first: promise reactions run later).
    if (outcome.ok) {
      work.settle?.resolve(outcome.value);
      work.slave.succeeded();
      return;
    }
    work.settle?.reject(outcome.error);
    if (this.client !== client || !client.isOpen) {
      // The line went away under the request: not this slave's fault, and its poll is retried once back.
      this.lost(client, 'connection lost during a request');
      return;
    }
    work.slave.failed(outcome.error, Date.now());
  }

  private async connect(): Promise<void> {
    const transport = this.config.transport;
    // Loaded with the first bus that connects (~14 MiB): an agent without Modbus devices never pays for it.
    const client = new (await import('modbus-serial')).default.default();
    // Port errors also arrive here; an 'error' event without a listener would crash the agent.
    client.on('error', (err) => this.log?.debug({ bus: this.id, err: errorMessage(err) }, 'modbus port error'));
    try {
      switch (transport.type) {
        case 'rtu':
          await client.connectRTUBuffered(transport.path, {
            baudRate: transport.baudRate,
            dataBits: transport.dataBits,
            parity: transport.parity,
            stopBits: transport.stopBits,
          });
          break;
        case 'tcp':
          await client.connectTCP(transport.host, { port: transport.port, timeout: TCP_CONNECT_TIMEOUT_MS });
          break;
        case 'rtu-over-tcp':
          // modbus-serial's "telnet" port is raw RTU frames over a socket (its TcpRTUBuffered port speaks MBAP).
          await client.connectTelnet(transport.host, { port: transport.port, timeout: TCP_CONNECT_TIMEOUT_MS });
          break;
      }
    } catch (err) {
      this.release(client);
      this.failedToOpen(`cannot open ${this.describe()}: ${errorMessage(err)}`);
      await this.idle(transport.type === 'rtu' ? SERIAL_RETRY_MS : this.nextTcpRetry());
      return;
    }
    if (!this.running) {
      this.release(client);
      return;
    }
    this.client = client;
    this.linkOpen = true;
    this.outageReported = false;
    this.tcpRetryMs = TCP_FIRST_RETRY_MS;
    client.on('close', () => this.lost(client, 'connection closed'));
    this.log?.info({ bus: this.id, link: this.describe() }, 'modbus bus open');
    this.emit('link', 'open', this.describe());
  }

  private nextTcpRetry(): number {
    const delay = this.tcpRetryMs;
    this.tcpRetryMs = Math.min(this.tcpRetryMs * 2, TCP_MAX_RETRY_MS);
    return delay;
  }

  private failedToOpen(reason: string): void {
    if (!this.outageReported) {
      this.outageReported = true;
      this.outage++;
      this.log?.warn({ bus: this.id, reason }, 'modbus bus down');
      this.emit('link', 'closed', reason);
    }
    this.tellSlaves(reason);
  }

  /** One way down for every loss: forget the client, report once per outage, tell the slaves and the waiting runs. */
  private lost(client: ModbusClient, reason: string): void {
    if (client !== this.client) return;
    this.dropClient();
    if (!this.running) return;
    this.linkOpen = false;
    this.outageReported = true;
    this.outage++;
    this.log?.warn({ bus: this.id, reason }, 'modbus bus lost');
    this.emit('link', 'closed', reason);
    this.tellSlaves(reason);
    this.wake();
  }

  private tellSlaves(reason: string): void {
    const error = new Error(`bus ${this.id} down: ${reason}`);
    for (const slave of this.slaves) slave.linkDown(this.outage, error);
    this.rejectRuns(error);
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    this.linkOpen = false;
    if (client) this.release(client);
  }

  private release(client: ModbusClient): void {
    try {
      // TCP ports are destroyed at once (close() would wait for the peer's FIN); serial ports only close.
      if (this.config.transport.type === 'rtu') client.close(() => undefined);
      else client.destroy(() => undefined);
    } catch {
      // A port that never opened may throw on close: there is nothing left to release.
    }
  }

  private rejectRuns(error: Error): void {
    for (const run of this.runs.splice(0)) run.settle?.reject(error);
  }

  /** Waits `ms` (forever if not finite) or until woken by stop(), run() or schedule(). */
  private idle(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      const wake = (): void => done();
      this.wakeUp = wake;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.wakeUp = undefined));
  }

  private describe(): string {
    const t = this.config.transport;
    if (t.type === 'rtu') return `rtu ${t.path} ${t.baudRate} ${t.dataBits}${t.parity[0]!.toUpperCase()}${t.stopBits}`;
    return `${t.type} ${t.host}:${t.port}`;
  }
}

function checkAddress(address: number, what: string): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) throw new RangeError(`${what}: address out of 0–65535`);
}

/**
 * modbus-serial's RTU framer keeps unread bytes across requests, and finds a frame by unit id, function and
 * length: a late answer of a slow slave would be taken for its next request's answer. Start each request clean.
 */
function dropStaleBytes(client: ModbusClient): void {
  const port = portOf(client);
  if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0);
}

/**
 * modbus-serial's port: every kind (RTU, TCP, RTU over TCP) emits each answer as an RTU frame (unit, PDU,
 * CRC), which is all `exchange` needs to see of an answer that came in after its timeout.
 */
function portOf(client: ModbusClient): (EventEmitter & { _buffer?: unknown }) | undefined {
  const port = (client as unknown as { _port?: unknown })._port;
  return port instanceof EventEmitter ? (port as EventEmitter & { _buffer?: unknown }) : undefined;
}

function isTimeout(err: unknown): boolean {
  return /timed out/i.test(errorMessage(err));
}

/** modbus-serial rejects with plain objects (a timeout is `{ name, message, errno }`), not always Errors. */
function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}

export interface SlavePollerHandlers<T> {
  /** Reads the slave during its turn; a rejection is a failure of the slave. */
  read(io: ModbusIo): Promise<T>;
  /** What was read, once the link is reported open; must not throw. */
  deliver(data: T): void;
  link(state: LinkState, detail: string): void;
  /** A failed poll or command, or the bus going down. */
  failure(error: Error): void;
}

/**
 * What every device driver on a Modbus slave shares: one schedule on the slave, a link reported `connecting`
 * at start, `open` while the slave answers and `closed` from its first failure until it answers again.
 */
export class SlavePoller<T> {
  private link: LinkState = 'closed';
  private running = false;
  private scheduled = false;
  private readonly onError = (error: Error): void => {
    if (!this.running) return;
    this.setLink('closed', error.message);
    this.handlers.failure(error);
  };

  constructor(
    private readonly slave: ModbusSlave,
    private readonly pollMs: number,
    private readonly description: string,
    private readonly handlers: SlavePollerHandlers<T>,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.slave.on('error', this.onError);
    this.setLink('connecting', this.description);
    // A schedule lasts as long as its bus: after stop() the poll only returns.
    if (!this.scheduled) this.slave.schedule(this.pollMs, (io) => this.poll(io));
    this.scheduled = true;
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.slave.off('error', this.onError);
    this.setLink('closed', 'stopped');
  }

  private async poll(io: ModbusIo): Promise<void> {
    if (!this.running) return;
    const data = await this.handlers.read(io);
    if (!this.running) return;
    this.setLink('open', this.description);
    this.handlers.deliver(data);
  }

  private setLink(state: LinkState, detail: string): void {
    if (this.link === state) return;
    this.link = state;
    this.handlers.link(state, detail);
  }
}

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmod, mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { roundTo, type Bon, type Health, type Status, type Visits, type Weighing } from '../protocol/index.js';
import type { Logger } from '../runtime/log.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';
import { AgentDevices } from './agent-devices.js';
import { systemClock, type Clock } from './clock.js';
import type { AgentConfig, ScaleDeviceConfig } from './config.js';
import { startControlHttp } from './control-http.js';
import { DoorCounter } from './counters/door-counter.js';
import { ScaleDevice } from './scale/scale-device.js';
import { createCounterDriver, createScaleDriver } from './drivers/index.js';
import type { ModbusBus } from './modbus/bus.js';
import { createModbusBus } from './modbus/modbus-bus.js';
import { DeadLetterFile } from './dead-letters.js';
import { installedAt } from './identity.js';
import { ClockRepair } from './clock-repair.js';
import { BonBook } from './kiosk/bon-book.js';
import { CounterDesk } from './kiosk/counter-desk.js';
import { registerKiosk } from './kiosk/kiosk-http.js';
import { registerWebAssets } from '../runtime/web-assets.js';
import { projectRoot } from '../runtime/project-root.js';
import type { FastifyInstance } from 'fastify';
import { AgentLink } from './mqtt-link.js';
import { DurableOutbox, OutboxFullError } from './outbox/durable-outbox.js';
import { PendingEvents } from './outbox/pending-events.js';
import { PRIVATE_DIR } from '../runtime/durable-file.js';

export const AGENT_VERSION = '0.1.0';

/** The kiosk page, built by `npm run build` (cli/build-web.ts). */
export const KIOSK_PUBLIC_DIR = join(projectRoot(), 'dist', 'edge-agent', 'kiosk', 'web', 'public');

export interface AgentOptions {
  /** Tests inject a clock to capture at chosen times (a DST night, an unsynchronised boot). */
  clock?: Clock;
}

export interface AgentEvents {
  weighing: [Weighing];
  visits: [Visits];
  bon: [Bon];
}

export interface RunningAgent {
  httpUrl: string;
  devices: AgentDevices;
  /** The drop-off counter: bons, taken by the kiosk page on the scales in `bon` capture. */
  desk: CounterDesk;
  /** Kiosk pages following the counter now. */
  kioskWatchers(): number;
  pending: PendingEvents;
  /** Emits every weighing and visits bucket accepted by the agent. */
  events: EventEmitter<AgentEvents>;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, log: Logger, options: AgentOptions = {}): Promise<RunningAgent> {
  const ownClock = options.clock ? undefined : systemClock(config.clock, log);
  const clock = options.clock ?? ownClock!;
  // Private, the folder made by an older version too: the outbox and bons hold operators' names and comments.
  await mkdir(config.dataDir, { recursive: true, mode: PRIVATE_DIR });
  await chmod(config.dataDir, PRIVATE_DIR);
  // The outbox on disk is the truth; `pending` schedules (re)sends of what it holds, oldest first.
  const outbox = await DurableOutbox.open(join(config.dataDir, 'outbox'), { maxBytes: config.outbox.maxBytes, log: log.child({ component: 'outbox' }) });
  const pending = new PendingEvents({ receiptTimeoutMs: config.receipts.timeoutMs, maxBackoffMs: config.receipts.maxBackoffMs, maxInFlight: config.receipts.maxInFlight });
  for (const event of outbox.pending()) pending.add(event);
  if (pending.depth) log.info({ events: pending.depth }, 'resending events accepted before the restart');
  const repair = await ClockRepair.open(config.dataDir);
  const link = new AgentLink({ site: config.site, agent: config.agent }, config.mqtt, pending, log, (payload) => {
    repair.noteSynced(clock);
    return repair.prepare(payload);
  });
  const devices = new AgentDevices({ site: config.site, agent: config.agent }, siteTaxonomy(config), clock, repair);
  const events = new EventEmitter<AgentEvents>();

  let installed = await installedAt(config.dataDir, clock);
  const deadLetters = new DeadLetterFile(config.dataDir);
  const forget = (ids: string[]) => {
    const windowWasFull = pending.windowFull;
    pending.ack(ids);
    outbox.ack(ids);
    // A backlog's next window goes as soon as receipts make room, not at the next pump.
    if (windowWasFull) link.flush();
  };
  link.on('receipt', forget);
  link.on('deadletter', (letter) => {
    if (!letter.id) return log.warn({ topic: letter.topic, reason: letter.reason }, 'ingest refused a message with no readable id');
    const event = pending.get(letter.id);
    // Only what this agent sent, byte for byte, may leave the queue: a malformed copy carrying a real
    // event's id (found by the chaos suite) must not make the real event disappear.
    const sent = event && repair.prepare(event.payload);
    if (!event || !sent || createHash('sha256').update(sent).digest('hex') !== letter.payloadSha256) {
      return log.warn({ id: letter.id, topic: letter.topic, reason: letter.reason }, 'dead letter for a payload this agent did not send; its event (if any) stays queued');
    }
    // Kept on disk before it leaves the queue: refused is not lost.
    void deadLetters.keep(letter, event).then(
      () => {
        forget([letter.id!]);
        log.error({ id: letter.id, topic: letter.topic, reason: letter.reason, file: deadLetters.path }, 'ingest refused an event; kept in the dead-letter file');
      },
      (err: Error) => log.error({ err: err.message, id: letter.id }, 'cannot write the dead-letter file; the event stays queued'),
    );
  });

  const status = (): Status => ({
    v: 1,
    state: 'online',
    t: new Date(clock.now()).toISOString(),
    version: AGENT_VERSION,
    ...(installed ? { installedAt: installed } : {}),
    devices: Object.fromEntries(Object.entries(devices.health()).map(([id, h]) => [id, h.state])),
  });
  /** An event is accepted once fsync'd in the outbox; only then is it sent. A full outbox refuses it loudly. */
  const accept = async (id: string, topic: string, payload: unknown): Promise<void> => {
    const event = { id, topic, payload: JSON.stringify(payload), acceptedAt: Date.now() };
    try {
      await outbox.append(event);
    } catch (err) {
      log.error({ id, topic, err: (err as Error).message, full: err instanceof OutboxFullError }, 'event refused by the outbox');
      throw err;
    }
    pending.add(event);
    link.flush();
  };

  const book = new BonBook(config.dataDir, config.kiosk.recentBons, config.timeZone, log.child({ component: 'kiosk' }));
  const desk = new CounterDesk(
    { site: config.site, agent: config.agent },
    devices.taxonomy,
    devices,
    book,
    async (id, topic, payload) => {
      await accept(id, topic, payload);
      if ('closedAt' in payload) events.emit('bon', payload);
      else events.emit('weighing', payload);
    },
    clock,
    log.child({ component: 'kiosk' }),
    { stableTimeoutMs: config.kiosk.stableTimeoutS * 1000 },
  );
  desk.recover(outbox.pending());
  // The kiosk shows the link and what waits in the outbox: both change without the counter doing anything.
  link.on('link', () => desk.emit('changed'));
  link.on('receipt', () => desk.emit('changed'));

  const buses = new Map<string, ModbusBus>(config.modbus.buses.map((b) => [b.id, createModbusBus(b, log.child({ bus: b.id }))]));
  for (const deviceConfig of config.devices) {
    const dlog = log.child({ device: deviceConfig.id });
    if (deviceConfig.type === 'scale') {
      const driver = createScaleDriver(deviceConfig, buses);
      const device = new ScaleDevice(deviceConfig.id, driver, deviceConfig.weighing, deviceConfig.live.maxHz, () => clock.now());
      devices.addScale(device, deviceConfig);
      if (deviceConfig.weighing.capture === 'bon') desk.attachScale(device, deviceConfig);
      else device.on('weighing', (load, capturedAtMs) => {
        const { topic, weighing } = devices.weighingEvent(device.id, load, capturedAtMs);
        accept(weighing.id, topic, weighing).then(
          () => {
            dlog.info({ netKg: weighing.netKg, category: weighing.category, id: weighing.id }, 'weighing taken');
            events.emit('weighing', weighing);
          },
          () => undefined, // logged by accept; counted in health
        );
      });
      device.on('live', (v) => link.publishLive(device.id, { v: 1, t: new Date(clock.now()).toISOString(), ...v }));
      device.on('state', (s) => {
        dlog.info({ state: s.state, detail: s.detail }, 'device state changed');
        link.publishStatus(status());
      });
    } else {
      const counter = new DoorCounter(createCounterDriver(deviceConfig, buses), {
        deviceId: deviceConfig.id,
        stateDir: join(config.dataDir, 'counters'),
        visits: deviceConfig.visits,
        clock,
        deliver: async (bucket) => {
          const { topic, visits } = devices.visitsEvent(deviceConfig.id, bucket);
          await accept(visits.id, topic, visits);
          dlog.debug({ bucketStart: visits.bucketStart, in: visits.in, out: visits.out }, 'visits bucket closed');
          events.emit('visits', visits);
        },
      });
      devices.addCounter(counter, deviceConfig);
      counter.on('notice', (n) => dlog[n.level](n.message));
      counter.on('state', (s) => {
        dlog.info({ state: s.state, detail: s.detail }, 'device state changed');
        link.publishStatus(status());
      });
    }
  }
  link.publishStatus(status());

  const health = async (): Promise<Health> => {
    let diskFreeBytes: number | null = null;
    try {
      const fs = await statfs(config.dataDir);
      diskFreeBytes = fs.bavail * fs.bsize;
    } catch {
      // statfs is missing on some filesystems; health still goes out without it.
    }
    const oldest = pending.oldestAgeMs();
    return {
      v: 1,
      t: new Date(clock.now()).toISOString(),
      outbox: {
        depth: pending.depth,
        oldestAgeS: oldest === null ? null : oldest / 1000,
        deadLetters: deadLetters.size,
        bytes: outbox.bytes,
        full: outbox.full,
        refused: outbox.refused,
      },
      devices: Object.fromEntries(Object.entries(devices.health()).map(([id, h]) => [id, { errors: h.errors, state: h.state.state, lastReadingAt: h.state.lastReadingAt }])),
      diskFreeBytes,
      clock: { synced: clock.synced() },
    };
  };
  const publishHealth = async () => link.publishHealth(await health());
  const healthTimer = setInterval(async () => {
    if (!installed && clock.synced()) {
      installed = await installedAt(config.dataDir, clock);
      link.publishStatus(status());
    }
    await publishHealth();
  }, config.healthIntervalS * 1000);
  // Now (the link may be up already) and on every (re)connect, not an interval later: the retained health is
  // what a dashboards server shows of the agent until the next one.
  link.on('link', (up) => {
    if (up) void publishHealth();
  });
  void publishHealth();

  let kioskHttp: { close(): void; watchers(): number } | undefined;
  const registerKioskRoutes = async (app: FastifyInstance) => {
    kioskHttp = registerKiosk(app, desk, () => ({
      site: config.site,
      ...(config.siteName ? { siteName: config.siteName } : {}),
      agent: config.agent,
      timeZone: config.timeZone,
      demo: config.demo,
      taxonomy: devices.taxonomy,
      scales: desk.scales(),
      bon: desk.bon,
      recent: desk.recent,
      outbox: { depth: pending.depth },
      link: link.connected ? 'connected' : 'disconnected',
    }));
    await registerWebAssets(app, KIOSK_PUBLIC_DIR, log, 'kiosk');
  };
  const scaleLimits = (id: string) => config.devices.find((d): d is ScaleDeviceConfig => d.id === id && d.type === 'scale')?.weighing;
  const http = await startControlHttp(config.http, devices, scaleLimits, log, async (m) => {
    const at = clock.now();
    const load = m.tareKg === undefined ? { netKg: m.netKg } : { netKg: m.netKg, tareKg: m.tareKg, grossKg: roundTo(m.netKg + m.tareKg, 6) };
    const { topic, weighing } = devices.weighingEvent(m.device, load, at, { category: m.category, bonId: m.bonId, source: 'manual' });
    await accept(weighing.id, topic, weighing);
    log.info({ device: m.device, netKg: weighing.netKg, category: weighing.category, id: weighing.id }, 'manual weighing recorded');
    events.emit('weighing', weighing);
    return { id: weighing.id };
  }, registerKioskRoutes);
  for (const b of buses.values()) b.start();
  for (const d of devices.allScales()) d.start();
  for (const c of devices.allCounters()) c.start();
  log.info({ site: config.site, agent: config.agent, devices: config.devices.length, http: http.url }, 'agent started');

  return {
    httpUrl: http.url,
    devices,
    desk,
    kioskWatchers: () => kioskHttp?.watchers() ?? 0,
    pending,
    events,
    async stop() {
      clearInterval(healthTimer);
      desk.stop();
      kioskHttp?.close();
      await http.close();
      await Promise.all([...devices.allScales().map((d) => d.stop()), ...devices.allCounters().map((c) => c.stop())]);
      await Promise.all([...buses.values()].map((b) => b.stop()));
      await link.stop();
      await outbox.close();
      ownClock?.stop();
    },
  };
}

import { EventEmitter } from 'node:events';
import { statfs } from 'node:fs/promises';
import type { Health, Status, Weighing } from '../protocol/index.js';
import type { Logger } from '../runtime/log.js';
import { AgentDevices } from './agent-devices.js';
import { systemClock, type Clock } from './clock.js';
import type { AgentConfig, ScaleDeviceConfig } from './config.js';
import { startControlHttp } from './control-http.js';
import { ScaleDevice } from './devices/scale-device.js';
import { createScaleDriver } from './drivers/index.js';
import type { ScaleDriver } from './drivers/scale.js';
import { AgentLink } from './mqtt-link.js';
import { PendingEvents } from './outbox/pending-events.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  /** Tests inject a clock to capture at chosen times (a DST night, an unsynchronised boot). */
  clock?: Clock;
  createDriver?: (config: ScaleDeviceConfig) => ScaleDriver;
}

export interface RunningAgent {
  httpUrl: string;
  devices: AgentDevices;
  pending: PendingEvents;
  /** Emits `weighing` for every weighing accepted by the agent. */
  events: EventEmitter<{ weighing: [Weighing] }>;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, log: Logger, options: AgentOptions = {}): Promise<RunningAgent> {
  const ownClock = options.clock ? undefined : systemClock(config.clock, log);
  const clock = options.clock ?? ownClock!;
  const pending = new PendingEvents({ receiptTimeoutMs: config.receipts.timeoutMs, maxBackoffMs: config.receipts.maxBackoffMs });
  const link = new AgentLink({ site: config.site, agent: config.agent }, config.mqtt, pending, log);
  const devices = new AgentDevices({ site: config.site, agent: config.agent }, config.categories, clock);
  const events = new EventEmitter<{ weighing: [Weighing] }>();

  const status = (): Status => ({
    v: 1,
    state: 'online',
    t: new Date(clock.now()).toISOString(),
    version: AGENT_VERSION,
    devices: Object.fromEntries(devices.all().map((d) => [d.id, d.health()])),
  });

  for (const deviceConfig of config.devices) {
    const driver = (options.createDriver ?? createScaleDriver)(deviceConfig);
    const device = new ScaleDevice(deviceConfig.id, driver, deviceConfig.weighing, deviceConfig.live.maxHz, () => clock.now());
    devices.add(device, deviceConfig);
    const dlog = log.child({ device: device.id });
    device.on('weighing', (load, capturedAtMs) => {
      const { topic, weighing } = devices.weighingEvent(device.id, load, capturedAtMs);
      pending.add({ id: weighing.id, topic, payload: JSON.stringify(weighing), acceptedAt: Date.now() });
      link.flush();
      dlog.info({ netKg: weighing.netKg, category: weighing.category, id: weighing.id }, 'weighing taken');
      events.emit('weighing', weighing);
    });
    device.on('live', (v) => link.publishLive(device.id, { v: 1, t: new Date(clock.now()).toISOString(), ...v }));
    device.on('state', (s) => {
      dlog.info({ state: s.state, detail: s.detail }, 'device state changed');
      link.publishStatus(status());
    });
  }
  link.publishStatus(status());

  const health = async (): Promise<Health> => {
    let diskFreeBytes: number | null = null;
    try {
      const fs = await statfs('.');
      diskFreeBytes = fs.bavail * fs.bsize;
    } catch {
      // statfs is missing on some filesystems; health still goes out without it.
    }
    const oldest = pending.oldestAgeMs();
    return {
      v: 1,
      t: new Date(clock.now()).toISOString(),
      outbox: { depth: pending.depth, oldestAgeS: oldest === null ? null : oldest / 1000 },
      devices: Object.fromEntries(devices.all().map((d) => [d.id, { errors: d.errors, state: d.health().state }])),
      diskFreeBytes,
      clock: { synced: clock.synced() },
    };
  };
  const healthTimer = setInterval(() => void health().then((h) => link.publishHealth(h)), config.healthIntervalS * 1000);

  const http = await startControlHttp(config.http, devices, log);
  for (const d of devices.all()) d.start();
  log.info({ site: config.site, agent: config.agent, devices: config.devices.length, http: http.url }, 'agent started');

  return {
    httpUrl: http.url,
    devices,
    pending,
    events,
    async stop() {
      clearInterval(healthTimer);
      await http.close();
      await Promise.all(devices.all().map((d) => d.stop()));
      await link.stop();
      ownClock?.stop();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { deviceTopic, visitsSchema, weighingSchema, type DeviceState, type Visits, type Weighing } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { ClockRepair } from './clock-repair.js';
import type { CounterDeviceConfig, ScaleDeviceConfig } from './config.js';
import type { DoorCounter } from './counters/door-counter.js';
import type { VisitsBucket } from './counters/visits-buckets.js';
import type { ScaleDevice } from './devices/scale-device.js';
import type { CapturedLoad } from './weighing/weighing-state-machine.js';

interface ScaleEntry {
  device: ScaleDevice;
  config: ScaleDeviceConfig;
  category: string;
}

interface CounterEntry {
  counter: DoorCounter;
  config: CounterDeviceConfig;
}

/**
 * The agent's devices, with what the counter selected for each scale, and the making of events:
 * a captured load or a closed visits bucket becomes one validated message with the agent's sequence.
 */
export class AgentDevices {
  private readonly scales = new Map<string, ScaleEntry>();
  private readonly counters = new Map<string, CounterEntry>();
  private seq = 0;

  constructor(
    private readonly ids: { site: string; agent: string },
    readonly categories: string[],
    private readonly clock: Clock,
    private readonly repair: ClockRepair,
  ) {}

  addScale(device: ScaleDevice, config: ScaleDeviceConfig): void {
    this.scales.set(device.id, { device, config, category: config.weighing.defaultCategory });
  }

  addCounter(counter: DoorCounter, config: CounterDeviceConfig): void {
    this.counters.set(config.id, { counter, config });
  }

  allScales(): ScaleDevice[] {
    return [...this.scales.values()].map((e) => e.device);
  }

  allCounters(): DoorCounter[] {
    return [...this.counters.values()].map((e) => e.counter);
  }

  /** Health of every device, by id, for the status and health messages. */
  health(): Record<string, { state: DeviceState; errors: number }> {
    const out: Record<string, { state: DeviceState; errors: number }> = {};
    for (const { device } of this.scales.values()) out[device.id] = { state: device.health(), errors: device.errors };
    for (const [id, { counter }] of this.counters) out[id] = { state: counter.health, errors: counter.errors };
    return out;
  }

  selectCategory(deviceId: string, category: string): 'ok' | 'unknown-device' | 'unknown-category' {
    const entry = this.scales.get(deviceId);
    if (!entry) return 'unknown-device';
    if (!this.categories.includes(category)) return 'unknown-category';
    entry.category = category;
    return 'ok';
  }

  describeScales() {
    return [...this.scales.values()].map(({ device, config, category }) => ({
      id: device.id,
      type: config.type,
      driver: config.driver,
      direction: config.weighing.direction,
      category,
      collectType: config.weighing.direction === 'in' ? config.weighing.collectType : undefined,
      destination: config.weighing.destination,
      live: device.live,
      phase: device.phase,
      health: device.health(),
    }));
  }

  describeCounters() {
    return [...this.counters.values()].map(({ counter, config }) => ({
      id: config.id,
      type: config.type,
      driver: config.driver,
      openBucket: counter.openBucket,
      health: counter.health,
    }));
  }

  describe() {
    return [...this.describeScales(), ...this.describeCounters()];
  }

  /**
   * Builds the weighing event of a load: captured by the scale (`auto`), or typed when the scale is down
   * (`manual`, with the category given). Validated here, at the producer, as at ingest.
   */
  weighingEvent(
    deviceId: string,
    load: CapturedLoad,
    capturedAtMs: number,
    manual?: { category: string; bonId?: string },
  ): { topic: string; weighing: Weighing } {
    const entry = this.scales.get(deviceId);
    if (!entry) throw new Error(`no scale "${deviceId}"`);
    const rules = entry.config.weighing;
    const weighing = weighingSchema.parse({
      v: 1,
      id: randomUUID(),
      seq: this.seq++,
      capturedAt: new Date(capturedAtMs).toISOString(),
      ...this.repair.stamp(this.clock, capturedAtMs),
      ...load,
      direction: rules.direction,
      category: manual?.category ?? entry.category,
      ...(rules.direction === 'in' ? { collectType: rules.collectType } : { destination: rules.destination }),
      ...(manual?.bonId ? { bonId: manual.bonId } : {}),
      source: manual ? 'manual' : 'auto',
      entry: 'normal',
    });
    return { topic: deviceTopic(this.ids.site, this.ids.agent, deviceId, 'weighing'), weighing };
  }

  hasScale(deviceId: string): boolean {
    return this.scales.has(deviceId);
  }

  /** Builds the visits event of a closed bucket; a resumed bucket keeps its start, so it overwrites itself downstream. */
  visitsEvent(deviceId: string, bucket: VisitsBucket): { topic: string; visits: Visits } {
    const visits = visitsSchema.parse({ v: 1, id: randomUUID(), seq: this.seq++, ...this.repair.stamp(this.clock, Date.parse(bucket.bucketStart)), ...bucket });
    return { topic: deviceTopic(this.ids.site, this.ids.agent, deviceId, 'visits'), visits };
  }
}

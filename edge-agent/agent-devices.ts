import { randomUUID } from 'node:crypto';
import { agentTopic, bonSchema, deviceTopic, visitsSchema, weighingSchema, type Bon, type DeviceState, type Visits, type Weighing } from '../protocol/index.js';
import { active, type Taxonomy } from '../protocol/taxonomy.js';
import type { Clock } from './clock.js';
import type { ClockRepair } from './clock-repair.js';
import type { CounterDeviceConfig, ScaleDeviceConfig } from './config.js';
import type { DoorCounter } from './counters/door-counter.js';
import type { VisitsBucket } from './counters/visits-buckets.js';
import type { ScaleDevice } from './scale/scale-device.js';
import type { CapturedLoad } from './scale/weighing-state-machine.js';

interface ScaleEntry {
  device: ScaleDevice;
  config: ScaleDeviceConfig;
  category: string;
}

/** What the counter knows of a load beyond the scale: the bon's fields, the category tapped, who tapped it. */
export interface WeighingContext {
  category: string;
  source: 'auto' | 'manual';
  direction?: 'in' | 'out';
  collectType?: string;
  district?: string;
  destination?: string;
  partner?: string;
  bonId?: string;
  container?: string;
  by?: string;
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
    readonly taxonomy: Taxonomy,
    private readonly clock: Clock,
    private readonly repair: ClockRepair,
  ) {}

  /** Category ids the counter may pick (retired ones stay in the taxonomy for history only). */
  get categories(): string[] {
    return active(this.taxonomy.categories).map((c) => c.id);
  }

  addScale(device: ScaleDevice, config: ScaleDeviceConfig): void {
    this.scales.set(device.id, { device, config, category: config.weighing.defaultCategory });
  }

  addCounter(counter: DoorCounter, config: CounterDeviceConfig): void {
    this.counters.set(config.id, { counter, config });
  }

  allScales(): ScaleDevice[] {
    return [...this.scales.values()].map((e) => e.device);
  }

  counter(deviceId: string): DoorCounter | undefined {
    return this.counters.get(deviceId)?.counter;
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

  selectCategory(deviceId: string, category: string): 'ok' | 'unknown-device' | 'unknown-category' | 'bon-capture' {
    const entry = this.scales.get(deviceId);
    if (!entry) return 'unknown-device';
    if (entry.config.weighing.capture === 'bon') return 'bon-capture';
    if (!this.categories.includes(category)) return 'unknown-category';
    entry.category = category;
    return 'ok';
  }

  describeScales() {
    return [...this.scales.values()].map(({ device, config, category }) => ({
      id: device.id,
      type: config.type,
      driver: config.driver,
      capture: config.weighing.capture,
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
   * Builds the weighing event of a load. Without a context it is a continuous capture: the scale's rules
   * and selected category. The kiosk and typed weights give theirs (the bon's direction, collect type…).
   * Validated here, at the producer, as at ingest.
   */
  weighingEvent(deviceId: string, load: CapturedLoad, capturedAtMs: number, context?: WeighingContext): { topic: string; weighing: Weighing } {
    const entry = this.scales.get(deviceId);
    if (!entry) throw new Error(`no scale "${deviceId}"`);
    const rules = entry.config.weighing;
    const direction = context?.direction ?? rules.direction;
    const weighing = weighingSchema.parse({
      v: 1,
      id: randomUUID(),
      seq: this.seq++,
      capturedAt: new Date(capturedAtMs).toISOString(),
      ...this.repair.stamp(this.clock, capturedAtMs),
      ...load,
      direction,
      category: context?.category ?? entry.category,
      ...(direction === 'in'
        ? { collectType: context?.collectType ?? rules.collectType, district: context?.district }
        : { destination: context?.destination ?? rules.destination, partner: context?.partner }),
      bonId: context?.bonId,
      container: context?.container,
      source: context?.source ?? 'auto',
      entry: 'normal',
      by: context?.by,
    });
    return { topic: deviceTopic(this.ids.site, this.ids.agent, deviceId, 'weighing'), weighing };
  }

  /**
   * The compensating entry of a weighing (DESIGN.md): same capture time and tags, every figure negated,
   * `entry=void`, naming the id it voids. Ingest stamps it with that id's digits (storage/points.ts), so its
   * point sits beside the original's and every sum of the two is zero.
   */
  voidEvent(deviceId: string, original: Weighing, voidedAtMs: number, by?: string): { topic: string; weighing: Weighing } {
    const negate = (kg: number | undefined) => (kg === undefined ? undefined : -kg);
    const weighing = weighingSchema.parse({
      ...original,
      id: randomUUID(),
      netKg: -original.netKg,
      grossKg: negate(original.grossKg),
      tareKg: negate(original.tareKg),
      entry: 'void',
      voids: original.id,
      voidedAt: new Date(voidedAtMs).toISOString(),
      by,
    });
    return { topic: deviceTopic(this.ids.site, this.ids.agent, deviceId, 'weighing'), weighing };
  }

  /** What to stamp on an event captured now (clock synchronised or not), kept with a bon until it is sent. */
  stamp(atMs: number): Pick<Bon, 'clockSynced' | 'clockRef'> {
    return this.repair.stamp(this.clock, atMs);
  }

  /** Builds the event of a closed or abandoned bon. */
  bonEvent(bon: Omit<Bon, 'v' | 'id' | 'seq'>): { topic: string; bon: Bon } {
    const event = bonSchema.parse({ v: 1, id: randomUUID(), seq: this.seq++, ...bon });
    return { topic: agentTopic(this.ids.site, this.ids.agent, 'bon'), bon: event };
  }

  scaleConfig(deviceId: string): ScaleDeviceConfig | undefined {
    return this.scales.get(deviceId)?.config;
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

import { randomUUID } from 'node:crypto';
import { deviceTopic, weighingSchema, type Weighing } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { ScaleDeviceConfig } from './config.js';
import type { ScaleDevice } from './devices/scale-device.js';
import type { CapturedLoad } from './weighing/weighing-state-machine.js';

interface Entry {
  device: ScaleDevice;
  config: ScaleDeviceConfig;
  category: string;
}

/**
 * The agent's devices with what the counter selected for each, and the making of weighing events:
 * a captured load plus the selected category and the device's flow become one validated message.
 */
export class AgentDevices {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly ids: { site: string; agent: string },
    readonly categories: string[],
    private readonly clock: Clock,
  ) {}

  add(device: ScaleDevice, config: ScaleDeviceConfig): void {
    this.entries.set(device.id, { device, config, category: config.weighing.defaultCategory });
  }

  all(): ScaleDevice[] {
    return [...this.entries.values()].map((e) => e.device);
  }

  selectCategory(deviceId: string, category: string): 'ok' | 'unknown-device' | 'unknown-category' {
    const entry = this.entries.get(deviceId);
    if (!entry) return 'unknown-device';
    if (!this.categories.includes(category)) return 'unknown-category';
    entry.category = category;
    return 'ok';
  }

  describe() {
    return [...this.entries.values()].map(({ device, config, category }) => ({
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

  /** Builds the weighing event of a captured load; validated here, at the producer, as at ingest. */
  weighingEvent(deviceId: string, load: CapturedLoad, capturedAtMs: number): { topic: string; weighing: Weighing } {
    const entry = this.entries.get(deviceId);
    if (!entry) throw new Error(`no device "${deviceId}"`);
    const rules = entry.config.weighing;
    const weighing = weighingSchema.parse({
      v: 1,
      id: randomUUID(),
      seq: this.seq++,
      capturedAt: new Date(capturedAtMs).toISOString(),
      clockSynced: this.clock.synced(),
      ...load,
      direction: rules.direction,
      category: entry.category,
      ...(rules.direction === 'in' ? { collectType: rules.collectType } : { destination: rules.destination }),
      source: 'auto',
      entry: 'normal',
    });
    return { topic: deviceTopic(this.ids.site, this.ids.agent, deviceId, 'weighing'), weighing };
  }
}

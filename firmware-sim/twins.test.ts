import { describe, expect, it } from 'vitest';
import { drivers } from '../edge-agent/drivers/index.js';
import { SimulatedScaleBase } from './common/simulated-scale-base.js';
import { simConfigSchema } from './sim-config.js';
import { twins } from './twins.js';

describe('simulator twins', () => {
  it('every serial driver has a twin of its kind, and every twin is read by a registered driver', () => {
    const serial = drivers.filter((d) => d.connection === 'serial').map((d) => `${d.name} (${d.kind})`);
    expect(twins.map((t) => `${t.driver} (${t.kind})`).sort()).toEqual(serial.sort());
  });

  it.each(twins.map((t) => t.driver))('trebuchet sim builds the %s twin from its config', async (device) => {
    const config = simConfigSchema.parse({ device });
    const twin = twins.find((t) => t.driver === device)!;
    // A scale is also what the attendant loads.
    expect((await twin.create(config)) instanceof SimulatedScaleBase).toBe(twin.kind === 'scale');
  });
});

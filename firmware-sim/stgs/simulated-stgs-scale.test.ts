import { describe, expect, it } from 'vitest';
import { parseStgsFrame } from '../../edge-agent/drivers/stgs/parser.js';
import { streamingTwinContract, twinHarness } from '../../tests/helpers/scale-twin.js';
import { SimulatedStgsScale, type SimulatedStgsScaleOptions } from './simulated-stgs-scale.js';

const scaleAt = twinHarness(
  (o: SimulatedStgsScaleOptions) => new SimulatedStgsScale(o),
  (frame) => {
    const r = parseStgsFrame(frame.subarray(0, -2));
    if (!r.ok) throw new Error(r.reason);
    return r.reading;
  },
);

describe('SimulatedStgsScale', () => {
  streamingTwinContract(scaleAt, { mass: (kg) => ({ kind: 'mass', kg, stable: true, net: false }) });

  it('answers tare and zero commands from the host', () => {
    const { scale, run } = scaleAt();
    scale.load(2);
    run(2_000);
    scale.receive(Buffer.from('T\r'));
    scale.receive(Buffer.from('\n'));
    scale.load(10);
    expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: 10, stable: true, net: true });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: -2, stable: true, net: true });
  });

  it('speaks every format, unit and parity', () => {
    for (const format of ['ad-balance', 'ad-indicator', 'cas', 'dini'] as const) {
      const { scale, run } = scaleAt({ format, unit: 'g', decimals: 0, parity: 'even' });
      scale.load(1.5);
      expect(run(2_000).at(-1)).toEqual({ kind: 'mass', kg: 1.5, stable: true, net: false });
    }
  });
});

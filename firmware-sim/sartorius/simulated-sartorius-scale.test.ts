import { describe, expect, it } from 'vitest';
import { parseSartoriusFrame } from '../../edge-agent/drivers/sartorius/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { streamingTwinContract, twinHarness } from '../../tests/helpers/scale-twin.js';
import { SimulatedSartoriusScale, type SimulatedSartoriusScaleOptions } from './simulated-sartorius-scale.js';

const scaleAt = twinHarness(
  (o: SimulatedSartoriusScaleOptions) => new SimulatedSartoriusScale(o),
  (frame, o) => {
    const r = parseSartoriusFrame(frame.subarray(0, -2), { unit: o.unit ?? 'kg' });
    if (!r.ok) throw new Error(r.reason);
    return r.reading;
  },
);

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });

describe('SimulatedSartoriusScale', () => {
  streamingTwinContract(scaleAt, { mass: (kg) => mass(kg), frameBytes: 16, overloadOptions: { idCodes: true } });

  it('prints on ESC P, with or without CR LF, and ignores what it does not know', () => {
    const { scale, command, written } = scaleAt();
    scale.load(1);
    command('\x1bP');
    command('\x1b');
    command('P\r\n');
    command('garbage\x1bQ\x1bx1_\r\n');
    expect(written).toHaveLength(2);
    expect(scale.commands).toEqual(['P', 'P']);
  });

  it('tares and zeroes: ESC T (zero on an empty pan, else tare), ESC U, ESC V, ESC f3_, ESC f4_', () => {
    const { scale, run, command } = scaleAt({ idCodes: true });
    scale.load(2);
    run(2_000);
    command('\x1bT\r\n');
    scale.load(10);
    expect(run(2_000).at(-1)).toEqual(mass(10, true, true));
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(mass(-2, true, true));
    command('\x1bT'); // empty pan: zero, which clears the tare
    expect(run(100)).toEqual([mass(0)]);
    scale.load(3);
    run(2_000);
    command('\x1bf4_');
    expect(run(100)).toEqual([mass(0, true, true)]);
    command('\x1bV');
    expect(run(100)).toEqual([mass(0)]);
    scale.load(1);
    run(2_000);
    command('\x1bU\x1bf3_');
    expect(run(100)).toEqual([mass(0)]);
    expect(scale.commands).toEqual(['T', 'T', 'f4', 'V', 'U', 'f3']);
  });

  it('speaks every unit, both lengths, with parity', () => {
    for (const unit of ['kg', 'g', 'lb', 't'] as const) {
      for (const idCodes of [false, true]) {
        const decimals = unit === 'g' ? 0 : unit === 't' ? 4 : 2;
        const { scale, run, written } = scaleAt({ unit, decimals, idCodes, parity: 'odd' });
        scale.load(1.5);
        const last = run(2_000).at(-1)!;
        expect(last).toMatchObject({ kind: 'mass', stable: true, net: false });
        expect(last.kind === 'mass' && Math.abs(last.kg - 1.5)).toBeLessThan(0.01);
        expect(written.at(-1)).toHaveLength(idCodes ? 22 : 16);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { parseToledoFrame } from '../../edge-agent/drivers/toledo/parser.js';
import { streamingTwinContract, twinHarness } from '../../tests/helpers/scale-twin.js';
import { SimulatedToledoScale, type SimulatedToledoScaleOptions } from './simulated-toledo-scale.js';

const scaleAt = twinHarness(
  (o: SimulatedToledoScaleOptions) => new SimulatedToledoScale(o),
  (frame) => {
    const r = parseToledoFrame(frame);
    if (!r.ok) throw new Error(r.reason);
    return r.reading;
  },
);

const mass = (kg: number, stable = true, net = false, tareKg = 0): ScaleReading => ({ kind: 'mass', kg, stable, net, tareKg });

describe('SimulatedToledoScale', () => {
  streamingTwinContract(scaleAt, { mass: (kg) => mass(kg), frameBytes: 18 });

  it('answers T (tare), C (clear tare), Z (zero) and P (print request) from the host', () => {
    const { scale, run, command } = scaleAt();
    scale.load(2);
    run(2_000);
    command('T\r');
    command('\n');
    scale.load(10);
    expect(run(2_000).at(-1)).toEqual(mass(10, true, true, 2));
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(mass(-2, true, true, 2));
    command('C\r\n');
    expect(run(100)).toEqual([mass(0)]);
    command('P\r\n');
    const [withPrint, after] = [scale.tick(), scale.tick()];
    expect(parseToledoFrame(withPrint)).toMatchObject({ status: { printRequest: true } });
    expect(parseToledoFrame(after)).toMatchObject({ status: { printRequest: false } });
    scale.load(1);
    run(2_000);
    command('Z\r\n');
    expect(run(100)).toEqual([mass(0)]);
  });

  it('starts "not zeroed" when asked to, until the host zeroes it', () => {
    const { run, command } = scaleAt({ powerUpNotZeroed: true });
    expect(run(100)[0]).toMatchObject({ kind: 'not-mass', reason: /power-up/ });
    command('Z\r\n');
    expect(run(100)).toEqual([mass(0)]);
  });

  it('speaks every unit, with and without checksum, with parity, increments and zero padding', () => {
    for (const unit of ['kg', 'g', 'lb', 't'] as const) {
      for (const checksum of [true, false]) {
        const decimals = unit === 'g' ? 0 : unit === 't' ? 4 : 2;
        const { scale, run, written } = scaleAt({ unit, decimals, checksum, parity: 'odd', increment: 5, pad: 'zero' });
        scale.load(1.5);
        const last = run(2_000).at(-1)!;
        expect(last).toMatchObject({ kind: 'mass', stable: true, net: false });
        expect(last.kind === 'mass' && Math.abs(last.kg - 1.5)).toBeLessThan(0.01);
        expect(written.at(-1)).toHaveLength(checksum ? 18 : 17);
        expect(written.at(-1)!.some((b) => b >= 0x80)).toBe(true);
      }
    }
  });

  it('injects a bad checksum, even one equal to STX, LF or CR', () => {
    const { scale, written } = scaleAt();
    scale.load(12.34);
    for (const byte of [undefined, 0x02, 0x0a, 0x0d]) {
      const frame = scale.sendBadChecksum(byte);
      expect(written.at(-1)).toBe(frame);
      if (byte !== undefined) expect(frame[17]).toBe(byte);
      expect(parseToledoFrame(frame)).toMatchObject({ ok: false, reason: /checksum/ });
    }
  });

  it('sends valid frames whose checksum is STX, LF or CR', () => {
    const { scale, run } = scaleAt({ parity: 'even' });
    scale.load(12.34);
    run(2_000);
    for (const byte of [0x02, 0x0a, 0x0d]) {
      const frame = scale.sendWithChecksum(byte);
      expect(frame[17]! & 0x7f).toBe(byte);
      const r = parseToledoFrame(frame);
      expect(r).toMatchObject({ ok: true, reading: { kind: 'mass', stable: true } });
      expect(r.ok && r.reading.kind === 'mass' && Math.abs(r.reading.kg - 12.34)).toBeLessThanOrEqual(20);
    }
  });
});

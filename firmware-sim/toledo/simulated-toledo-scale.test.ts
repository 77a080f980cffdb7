import { describe, expect, it } from 'vitest';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { parseToledoFrame } from '../../edge-agent/drivers/toledo/parser.js';
import { seededRandom } from '../common/sim-device.js';
import { SimulatedToledoScale, type SimulatedToledoScaleOptions } from './simulated-toledo-scale.js';

function scaleAt(options: SimulatedToledoScaleOptions = {}) {
  let now = 0;
  const written: Buffer[] = [];
  const firstStable: Array<[number, number]> = [];
  const scale = new SimulatedToledoScale({ rng: seededRandom(7), now: () => now, settleMs: [600, 1500], ...options });
  scale.setSink({ write: (b: Buffer) => written.push(b) });
  scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
  const read = (frame: Buffer): ScaleReading => {
    const r = parseToledoFrame(frame);
    if (!r.ok) throw new Error(r.reason);
    return r.reading;
  };
  /** Advances the fake clock frame by frame and returns what the parser reads. */
  const run = (ms: number): ScaleReading[] => {
    const out: ScaleReading[] = [];
    for (let t = 0; t < ms; t += 100) {
      now += 100;
      out.push(read(scale.tick()));
    }
    return out;
  };
  const command = (text: string) => scale.receive(Buffer.from(text, 'latin1'));
  return { scale, run, read, command, written, firstStable };
}

const mass = (kg: number, stable = true, net = false, tareKg = 0): ScaleReading => ({ kind: 'mass', kg, stable, net, tareKg });

describe('SimulatedToledoScale', () => {
  it('moves after a load, then reads it exactly and stably; reports the first stable frame once', () => {
    const { scale, run, firstStable, written } = scaleAt();
    expect(run(300)).toEqual(Array(3).fill(mass(0)));
    scale.load(12.34);
    const readings = run(2_000);
    const firstStableIndex = readings.findIndex((r) => r.kind === 'mass' && r.stable);
    expect(firstStableIndex).toBeGreaterThanOrEqual(5);
    expect(firstStableIndex).toBeLessThanOrEqual(15);
    const moving = readings.slice(0, firstStableIndex);
    expect(moving.every((r) => r.kind === 'mass' && !r.stable && Math.abs(r.kg - 12.34) < 1.3)).toBe(true);
    expect(readings.slice(firstStableIndex)).toEqual(Array(readings.length - firstStableIndex).fill(mass(12.34)));
    expect(firstStable).toEqual([[12.34, 300 + (firstStableIndex + 1) * 100]]);
    expect(written).toHaveLength(23);
    expect(written.every((f) => f.length === 18)).toBe(true);
  });

  it('is deterministic with a seeded generator', () => {
    const a = scaleAt();
    const b = scaleAt();
    a.scale.load(5);
    b.scale.load(5);
    expect(a.run(2_000)).toEqual(b.run(2_000));
  });

  it('shows overload when forced or above capacity, and unloads to zero', () => {
    const { scale, run } = scaleAt({ capacityKg: 60 });
    scale.setOverload(true);
    expect(run(100)).toEqual([{ kind: 'overload' }]);
    scale.setOverload(false);
    scale.load(61);
    expect(run(2_000).at(-1)).toEqual({ kind: 'overload' });
    scale.unload();
    expect(run(2_000).at(-1)).toEqual(mass(0));
  });

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

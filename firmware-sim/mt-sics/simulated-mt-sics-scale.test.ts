import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMtSicsReply, type MtSicsReply } from '../../edge-agent/drivers/mt-sics/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { seededRandom } from '../common/sim-device.js';
import { SimulatedMtSicsScale, type SimulatedMtSicsScaleOptions } from './simulated-mt-sics-scale.js';

function twin(options: SimulatedMtSicsScaleOptions = {}) {
  const clock = { now: 0 };
  let written = Buffer.alloc(0);
  const firstStable: Array<[number, number]> = [];
  const scale = new SimulatedMtSicsScale({ rng: seededRandom(7), now: () => clock.now, settleMs: [600, 1500], ...options });
  scale.setSink({ write: (b: Buffer) => (written = Buffer.concat([written, b])) });
  scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
  /** Everything written since the last call. */
  const take = (): Buffer => {
    const out = written;
    written = Buffer.alloc(0);
    return out;
  };
  /** The replies written since the last call, parsed. */
  const replies = (): MtSicsReply[] =>
    take()
      .toString('latin1')
      .split('\r\n')
      .slice(0, -1)
      .map((line) => {
        const r = parseMtSicsReply(line);
        if (!r.ok) throw new Error(`${r.reason}: ${JSON.stringify(line)}`);
        return r.reply;
      });
  const ask = (command: string): MtSicsReply[] => {
    scale.receive(Buffer.from(`${command}\r\n`));
    return replies();
  };
  const weigh = (): ScaleReading => {
    const [reply] = ask('SI');
    if (reply?.kind !== 'reading') throw new Error(`not a weight reply: ${JSON.stringify(reply)}`);
    return reply.reading;
  };
  return { scale, clock, take, replies, ask, weigh, firstStable };
}

const mass = (kg: number, stable = true): ScaleReading => ({ kind: 'mass', kg, stable, net: false });

afterEach(() => vi.useRealTimers());

describe('SimulatedMtSicsScale', () => {
  it('answers SI with moving then exactly stable weights, and reports the first stable reply once', () => {
    const t = twin();
    expect(t.weigh()).toEqual(mass(0));
    t.scale.load(12.34);
    const seen: ScaleReading[] = [];
    for (let i = 0; i < 20; i++) {
      t.clock.now += 100;
      seen.push(t.weigh());
    }
    const firstStable = seen.findIndex((r) => r.kind === 'mass' && r.stable);
    expect(firstStable).toBeGreaterThanOrEqual(5);
    expect(seen.slice(0, firstStable).every((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    expect(seen.slice(firstStable)).toEqual(Array(20 - firstStable).fill(mass(12.34)));
    expect(t.firstStable).toEqual([[12.34, (firstStable + 1) * 100]]);
  });

  it('answers S with S I while moving', () => {
    const t = twin();
    t.scale.load(5);
    expect(t.ask('S')).toEqual([{ kind: 'reading', id: 'S', reading: { kind: 'not-mass', reason: expect.any(String) } }]);
    t.clock.now += 2_000;
    expect(t.ask('S')).toEqual([{ kind: 'reading', id: 'S', reading: mass(5) }]);
  });

  it('tares, zeroes, resets, identifies, and refuses what it does not know', () => {
    const t = twin({ serial: 'B0042' });
    t.scale.load(2);
    t.clock.now += 2_000;
    expect(t.ask('T')).toEqual([{ kind: 'tare', id: 'T', tareKg: 2 }]);
    t.scale.load(10);
    t.clock.now += 2_000;
    expect(t.weigh()).toEqual(mass(10)); // S S carries the net weight; the driver knows the tare from T S
    expect(t.ask('@')).toEqual([{ kind: 'identification', id: 'I4', serial: 'B0042' }]);
    expect(t.weigh()).toEqual(mass(12)); // the reset cleared the tare
    expect(t.ask('Z')).toEqual([{ kind: 'zeroed', id: 'Z' }]);
    expect(t.weigh()).toEqual(mass(0));
    expect(t.ask('I4')).toEqual([{ kind: 'identification', id: 'I4', serial: 'B0042' }]);
    expect(t.ask('XYZ')).toEqual([{ kind: 'error', id: 'ES', reason: expect.any(String) }]);
    // A command split across chunks, with a parity-free 8N1 host.
    t.scale.receive(Buffer.from('S'));
    t.scale.receive(Buffer.from('I\r'));
    t.scale.receive(Buffer.from('\n'));
    expect(t.replies()).toHaveLength(1);
  });

  it('shows overload, and refuses zero and tare meanwhile', () => {
    const t = twin();
    t.scale.setOverload(true);
    expect(t.weigh()).toEqual({ kind: 'overload' });
    expect(t.ask('T')).toEqual([{ kind: 'refused', id: 'T', reason: expect.stringMatching(/T \+/) }]);
    expect(t.ask('Z')).toEqual([{ kind: 'refused', id: 'Z', reason: expect.stringMatching(/Z \+/) }]);
  });

  it('repeats on SIR every intervalMs until SI', () => {
    vi.useFakeTimers();
    const t = twin({ intervalMs: 100 });
    expect(t.ask('SIR')).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(t.replies()).toHaveLength(10);
    expect(t.ask('SI')).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(t.replies()).toEqual([]);
    t.scale.stop();
  });

  it('injects faults: no reply, a late reply, garbage before a reply, a power-up line, parity', () => {
    vi.useFakeTimers();
    const t = twin({ dead: true });
    expect(t.ask('SI')).toEqual([]);
    expect(t.scale.received).toEqual(['SI']); // it heard

    t.scale.faults.dead = false;
    t.scale.faults.replyDelayMs = 300;
    expect(t.ask('SI')).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(t.replies()).toEqual([{ kind: 'reading', id: 'S', reading: mass(0) }]);
    t.scale.faults.replyDelayMs = 0;

    t.scale.faults.garbageBeforeReply = Buffer.from([0x00, 0xff]);
    t.scale.receive(Buffer.from('SI\r\n'));
    expect(t.take().toString('latin1')).toBe('\x00\xFFS S       0.00 kg\r\n');
    t.scale.faults.garbageBeforeReply = undefined;

    const banner = twin({ bannerOnConnect: true, serial: 'B7', parity: 'even' });
    const bytes = banner.take();
    expect(bytes.some((b) => b & 0x80)).toBe(true);
    expect(parseMtSicsReply(bytes.subarray(0, -2))).toEqual({ ok: true, reply: { kind: 'identification', id: 'I4', serial: 'B7' } });
  });
});

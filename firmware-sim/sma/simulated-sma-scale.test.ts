import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSmaReply, type SmaReply } from '../../edge-agent/drivers/sma/parser.js';
import type { ScaleReading } from '../../edge-agent/drivers/scale.js';
import { seededRandom } from '../common/sim-device.js';
import { encodeSmaCommand } from './sma-frames.js';
import { SimulatedSmaScale, type SimulatedSmaScaleOptions } from './simulated-sma-scale.js';

function twin(options: SimulatedSmaScaleOptions = {}) {
  const clock = { now: 0 };
  let written = Buffer.alloc(0);
  const firstStable: Array<[number, number]> = [];
  const scale = new SimulatedSmaScale({ rng: seededRandom(7), now: () => clock.now, settleMs: [600, 1500], ...options });
  scale.setSink({ write: (b: Buffer) => (written = Buffer.concat([written, b])) });
  scale.on('firstStableFrame', (kg, at) => firstStable.push([kg, at]));
  const take = (): Buffer => {
    const out = written;
    written = Buffer.alloc(0);
    return out;
  };
  /** The replies written since the last call, parsed (each `<LF>…<CR>`). */
  const replies = (): SmaReply[] =>
    [...take().toString('latin1').matchAll(/\n([^\r]*)\r/g)].map((m) => {
      const r = parseSmaReply(m[1]!);
      if (!r.ok) throw new Error(`${r.reason}: ${JSON.stringify(m[1])}`);
      return r.reply;
    });
  const ask = (command: string): SmaReply[] => {
    scale.receive(encodeSmaCommand(command));
    return replies();
  };
  const weigh = (command = 'W'): ScaleReading => {
    const [reply] = ask(command);
    if (reply?.kind !== 'weight') throw new Error(`not a weight reply: ${JSON.stringify(reply)}`);
    return reply.reading;
  };
  return { scale, clock, take, replies, ask, weigh, firstStable };
}

const mass = (kg: number, stable = true, net = false): ScaleReading => ({ kind: 'mass', kg, stable, net });

afterEach(() => vi.useRealTimers());

describe('SimulatedSmaScale', () => {
  it('answers W with moving then exactly stable weights, and reports the first stable reply once', () => {
    const t = twin();
    expect(t.ask('W')).toEqual([{ kind: 'weight', status: 'zero', reading: mass(0) }]);
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

  it('tares, shows its tare, clears it, zeroes, and answers ? to what it does not know', () => {
    const t = twin({ unit: 'lb', decimals: 1 });
    t.scale.load(2);
    t.clock.now += 2_000;
    expect(t.weigh('T')).toEqual(mass(0, true, true));
    expect(t.ask('M')).toEqual([{ kind: 'weight', status: 'none', reading: { kind: 'not-mass', reason: 'tare weight (T)' } }]);
    t.scale.load(10);
    t.clock.now += 2_000;
    expect(t.weigh()).toEqual(mass(9.979, true, true)); // 22.0 lb net
    expect(t.weigh('C')).toEqual(mass(12.02)); // 26.5 lb gross
    expect(t.ask('Z')).toEqual([{ kind: 'weight', status: 'zero', reading: mass(0) }]);
    expect(t.ask('X')).toEqual([{ kind: 'unrecognized' }]);
    // A command split across chunks, after line noise.
    t.scale.receive(Buffer.from('\x00\n'));
    t.scale.receive(Buffer.from('W\r'));
    expect(t.replies()).toHaveLength(1);
  });

  it('shows overload, and answers zero and tare with their error status meanwhile', () => {
    const t = twin();
    t.scale.setOverload(true);
    expect(t.ask('W')).toEqual([{ kind: 'weight', status: 'over', reading: { kind: 'overload' } }]);
    expect(t.ask('T')).toEqual([{ kind: 'weight', status: 'tare-error', reading: { kind: 'not-mass', reason: 'tare error (T)' } }]);
    expect(t.ask('Z')).toEqual([{ kind: 'weight', status: 'zero-error', reading: { kind: 'not-mass', reason: 'zero error (E)' } }]);
  });

  it('repeats on R every intervalMs until another command', () => {
    vi.useFakeTimers();
    const t = twin({ intervalMs: 100 });
    expect(t.ask('R')).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(t.replies()).toHaveLength(10);
    expect(t.ask('W')).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(t.replies()).toEqual([]);
    t.scale.stop();
  });

  it('injects faults: no reply, a late reply, garbage before a reply, a power-up line, parity', () => {
    vi.useFakeTimers();
    const t = twin({ dead: true });
    expect(t.ask('W')).toEqual([]);
    expect(t.scale.received).toEqual(['W']);

    t.scale.faults.dead = false;
    t.scale.faults.replyDelayMs = 300;
    expect(t.ask('W')).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(t.replies()).toHaveLength(1);
    t.scale.faults.replyDelayMs = 0;

    t.scale.faults.garbageBeforeReply = Buffer.from([0x00, 0xff]);
    t.scale.receive(encodeSmaCommand('W'));
    expect(t.take().toString('latin1')).toBe('\x00\xFF\nZ1G        0.00kg \r');

    const banner = twin({ banner: 'ACME SCALE V1.00\r\n', parity: 'odd' });
    expect(banner.take().toString('latin1')).toBe('ACME SCALE V1.00\r\n');
    banner.scale.receive(encodeSmaCommand('W'));
    const bytes = banner.take();
    expect(bytes.some((b) => b & 0x80)).toBe(true);
    expect(parseSmaReply(bytes.subarray(1, -1))).toMatchObject({ ok: true, reply: { reading: mass(0) } });
  });
});

import { describe, expect, it } from 'vitest';
import { SerialCounterFramer } from '../../edge-agent/drivers/serial-counter/parser.js';
import { SimulatedSerialCounter } from './simulated-serial-counter.js';

/** A sink that decodes what the simulator writes, as the driver would. */
function decoding(counter: SimulatedSerialCounter) {
  const framer = new SerialCounterFramer(counter.layout);
  const frames: Array<{ in: number; out: number }> = [];
  counter.setSink({
    write: (chunk: Buffer) => {
      for (const o of framer.push(chunk)) if (o.kind === 'counts') frames.push({ in: o.in, out: o.out });
    },
  });
  return frames;
}

describe('SimulatedSerialCounter', () => {
  it('brings about 185 customers over a 7-hour open day (docs/domain.md), who all go out again', () => {
    const totals: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const counter = new SimulatedSerialCounter({ seed });
      counter.advance(7 * 3600);
      const day = counter.counted.in;
      counter.setOpen(false);
      counter.advance(4 * 3600); // closing time: everyone leaves
      expect(counter.counted).toEqual({ in: day, out: day });
      expect(counter.inside).toBe(0);
      totals.push(day);
    }
    const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
    expect(mean).toBeGreaterThan(185 - 10);
    expect(mean).toBeLessThan(185 + 10);
    expect(Math.min(...totals)).toBeGreaterThan(185 - 4 * Math.sqrt(185)); // Poisson spread
  });

  it("follows a shop day's hourly profile, shut between days, with the queue of the opening", () => {
    const shares = [0.08, 0.11, 0.15, 0.15, 0.1, 0.11, 0.14, 0.16];
    const perHour = new Array<number>(24).fill(0);
    const days = 60;
    const counter = new SimulatedSerialCounter({ seed: 4, customersPerDay: 185, openHours: 8, closedHours: 16, hourlyShares: shares, waitingAtOpening: 4 });
    let firstMinutes = 0;
    for (let day = 0; day < days; day++) {
      for (let hour = 0; hour < 24; hour++) {
        const before = counter.counted.in;
        if (hour === 0) {
          counter.advance(180);
          firstMinutes += counter.counted.in - before;
          counter.advance(3600 - 180);
        } else counter.advance(3600);
        perHour[hour]! += counter.counted.in - before;
      }
    }
    const total = perHour.reduce((a, b) => a + b, 0);
    expect(total / days).toBeGreaterThan(185 + 4 - 10);
    expect(total / days).toBeLessThan(185 + 4 + 10);
    // Nobody comes in while the shop is shut; everyone is gone long before it opens again.
    for (let hour = 8; hour < 24; hour++) expect(perHour[hour], `hour ${hour}`).toBe(0);
    expect(counter.counted.out).toBe(counter.counted.in - counter.inside);
    // The midday and late-afternoon peaks: each open hour near its share (the queue adds to the first).
    for (const [hour, share] of shares.entries()) {
      const expected = 185 * share * days + (hour === 0 ? 4 * days : 0);
      expect(Math.abs(perHour[hour]! - expected) / expected, `hour ${hour}`).toBeLessThan(0.15);
    }
    expect(perHour[3]!).toBeGreaterThan(1.5 * perHour[0]! - 4 * days);
    expect(perHour[7]!).toBeGreaterThan(perHour[4]!);
    // The queue at the door: at least the four waiting within three minutes of each opening.
    expect(firstMinutes).toBeGreaterThanOrEqual(4 * days);
  });

  it('refuses an hourly profile that does not give every open hour a share', () => {
    expect(() => new SimulatedSerialCounter({ openHours: 8, hourlyShares: [1, 1, 1] })).toThrow(/one share per open hour \(8\)/);
  });

  it('replays identically with the same seed', () => {
    const a = new SimulatedSerialCounter({ seed: 7 });
    const b = new SimulatedSerialCounter({ seed: 7 });
    a.advance(3600);
    b.advance(1800);
    b.advance(1800);
    expect(a.counted).toEqual(b.counted);
    expect(a.raw).toEqual(b.raw);
  });

  it('streams frames of its raw counts at the simulated rate', () => {
    const counter = new SimulatedSerialCounter({ intervalMs: 1000, timeScale: 60, initial: { in: 10, out: 5 } });
    const frames = decoding(counter);
    counter.sendFrame();
    for (let i = 0; i < 60; i++) counter.tick(); // an hour in a minute
    expect(frames[0]).toEqual({ in: 10, out: 5 });
    expect(frames).toHaveLength(61);
    expect(frames.at(-1)).toEqual({ in: 10 + counter.counted.in, out: 5 + counter.counted.out });
    expect(counter.counted.in).toBeGreaterThan(5);
  });

  it('wraps at the modulo of its layout: 16-bit and decimal', () => {
    const c16 = new SimulatedSerialCounter({ layout: { counterBytes: 2 }, initial: { in: 65_534, out: 0 } });
    c16.walkIn(3);
    expect(c16.raw.in).toBe(1);
    const dec = new SimulatedSerialCounter({ layout: { modulo: 1_000_000 }, initial: { in: 999_999, out: 999_998 } });
    const frames = decoding(dec);
    dec.walkIn();
    dec.walkOut(4);
    dec.sendFrame();
    expect(frames).toEqual([{ in: 0, out: 2 }]);
    expect(dec.counted).toEqual({ in: 1, out: 4 });
    expect(() => new SimulatedSerialCounter({ layout: { modulo: 1_000_000 }, initial: { in: 1_000_000, out: 0 } })).toThrow(RangeError);
  });

  it('loses its counters in a power cut, sends and counts nothing until the power is back', () => {
    const counter = new SimulatedSerialCounter({ initial: { in: 500, out: 480 } });
    const frames = decoding(counter);
    counter.walkIn(2);
    counter.powerCut();
    expect(counter.sendFrame()).toBeUndefined();
    counter.walkIn(5); // nobody counts these
    counter.powerOn();
    counter.walkIn();
    counter.sendFrame();
    expect(frames).toEqual([{ in: 1, out: 0 }]);
    expect(counter.counted).toEqual({ in: 3, out: 0 });
  });

  it('lets nobody in while the shop is closed', () => {
    const counter = new SimulatedSerialCounter();
    counter.setOpen(false);
    counter.advance(3600);
    expect(counter.counted).toEqual({ in: 0, out: 0 });
    counter.setOpen(true);
    counter.advance(3600);
    expect(counter.counted.in).toBeGreaterThan(0);
  });
});

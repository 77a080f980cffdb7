import { describe, expect, it } from 'vitest';
import { VisitsBuckets } from './visits-buckets.js';

const T0 = Date.parse('2025-03-14T10:00:00.000Z');

function fakeClock(t = T0) {
  return {
    t,
    now() {
      return this.t;
    },
    at(iso: string) {
      this.t = Date.parse(iso);
    },
  };
}

describe('VisitsBuckets', () => {
  it('accumulates within a bucket aligned on the clock, and closes it once its period is over', () => {
    const clock = fakeClock();
    const b = new VisitsBuckets(60, clock);
    clock.at('2025-03-14T10:00:12.500Z');
    expect(b.add(2, 0)).toEqual([]);
    clock.at('2025-03-14T10:00:59.999Z');
    expect(b.add(1, 3)).toEqual([]);
    expect(b.openBucket).toEqual({ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 3, out: 3 });
    expect(b.closeDue()).toEqual([]);
    clock.at('2025-03-14T10:01:00.000Z');
    expect(b.closeDue()).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 3, out: 3 }]);
    expect(b.openBucket).toBeNull();
    expect(b.closeDue()).toEqual([]); // once
  });

  it('closes the open bucket before adding deltas of the next one', () => {
    const clock = fakeClock();
    const b = new VisitsBuckets(60, clock);
    clock.at('2025-03-14T10:00:30Z');
    b.add(4, 1);
    clock.at('2025-03-14T10:01:05Z');
    expect(b.add(1, 0)).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 4, out: 1 }]);
    expect(b.openBucket).toEqual({ bucketStart: '2025-03-14T10:01:00.000Z', bucketSeconds: 60, in: 1, out: 0 });
  });

  it('emits no empty bucket: zero deltas open nothing, quiet periods leave no trace', () => {
    const clock = fakeClock();
    const b = new VisitsBuckets(60, clock);
    for (let i = 0; i < 10; i++) {
      clock.t += 30_000;
      expect(b.add(0, 0)).toEqual([]);
      expect(b.closeDue()).toEqual([]);
    }
    expect(b.openBucket).toBeNull();
    clock.at('2025-03-14T10:07:10Z');
    b.add(0, 1);
    clock.at('2025-03-14T10:20:00Z');
    expect(b.add(1, 0)).toEqual([{ bucketStart: '2025-03-14T10:07:00.000Z', bucketSeconds: 60, in: 0, out: 1 }]);
  });

  it('aligns longer buckets on the clock', () => {
    const clock = fakeClock(Date.parse('2025-03-14T10:13:20Z'));
    const b = new VisitsBuckets(900, clock);
    b.add(1, 0);
    expect(b.openBucket?.bucketStart).toBe('2025-03-14T10:00:00.000Z');
    clock.at('2025-03-14T10:15:00Z');
    expect(b.closeDue()).toHaveLength(1);
  });

  it('never emits a start twice when the clock steps back', () => {
    const clock = fakeClock();
    const b = new VisitsBuckets(60, clock);
    const emitted: string[] = [];
    clock.at('2025-03-14T10:05:10Z');
    b.add(1, 0);
    clock.at('2025-03-14T10:02:00Z'); // NTP steps the clock back 3 minutes
    emitted.push(...b.add(1, 0).map((x) => x.bucketStart));
    expect(b.openBucket).toMatchObject({ bucketStart: '2025-03-14T10:05:00.000Z', in: 2 });
    clock.at('2025-03-14T10:06:00Z');
    emitted.push(...b.closeDue().map((x) => x.bucketStart));
    clock.at('2025-03-14T10:05:30Z'); // back again, into the bucket just emitted
    b.add(3, 0);
    expect(b.openBucket).toMatchObject({ bucketStart: '2025-03-14T10:06:00.000Z', in: 3 });
    clock.at('2025-03-14T10:07:00Z');
    emitted.push(...b.closeDue().map((x) => x.bucketStart));
    expect(emitted).toEqual(['2025-03-14T10:05:00.000Z', '2025-03-14T10:06:00.000Z']);
  });

  it('resumes a persisted open bucket, and puts the first deltas after a restart into it even when due', () => {
    const clock = fakeClock(Date.parse('2025-03-14T10:03:00Z'));
    const b = new VisitsBuckets(60, clock, {
      open: { bucketStart: '2025-03-14T10:01:00.000Z', bucketSeconds: 60, in: 5, out: 2 },
      closedUntil: '2025-03-14T10:01:00.000Z',
    });
    expect(b.addToOpen(3, 1)).toEqual([{ bucketStart: '2025-03-14T10:01:00.000Z', bucketSeconds: 60, in: 8, out: 3 }]);
    b.add(1, 0);
    expect(b.snapshot()).toEqual({
      open: { bucketStart: '2025-03-14T10:03:00.000Z', bucketSeconds: 60, in: 1, out: 0 },
      closedUntil: '2025-03-14T10:02:00.000Z',
    });
  });

  it('keeps the length of a resumed bucket, and starts no bucket before the end of the last closed one', () => {
    const clock = fakeClock(Date.parse('2025-03-14T10:00:30Z'));
    const b = new VisitsBuckets(60, clock, { open: null, closedUntil: '2025-03-14T10:15:00.000Z' });
    b.add(1, 0);
    expect(b.openBucket?.bucketStart).toBe('2025-03-14T10:15:00.000Z');
    const r = new VisitsBuckets(60, clock, { open: { bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 300, in: 1, out: 0 }, closedUntil: null });
    clock.at('2025-03-14T10:04:59Z');
    expect(r.closeDue()).toEqual([]);
    clock.at('2025-03-14T10:05:00Z');
    expect(r.closeDue()).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 300, in: 1, out: 0 }]);
  });

  it('refuses a bucket length that is not a positive integer', () => {
    expect(() => new VisitsBuckets(0, fakeClock())).toThrow(RangeError);
    expect(() => new VisitsBuckets(1.5, fakeClock())).toThrow(RangeError);
  });
});

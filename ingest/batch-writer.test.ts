import type { IPoint } from 'influx';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchWriter } from './batch-writer.js';

const log = pino({ level: 'silent' });
const point = (i: number): IPoint => ({ measurement: 'm', fields: { v: i }, timestamp: String(i) });

function writer(
  opts: { maxPoints?: number; maxWaitMs?: number; maxBufferedPoints?: number; fail?: () => boolean; incomplete?: (p: IPoint) => boolean; settle?: (points: IPoint[]) => Promise<void> } = {},
) {
  const batches: number[][] = [];
  const settled: number[][] = [];
  const acked: number[] = [];
  const w = new BatchWriter<number>({
    maxPoints: opts.maxPoints ?? 3,
    maxWaitMs: opts.maxWaitMs ?? 100,
    maxBufferedPoints: opts.maxBufferedPoints ?? 100,
    log,
    async write(points) {
      if (opts.fail?.()) throw new Error('InfluxDB down');
      batches.push(points.map((p) => p.fields!.v as number));
    },
    async settle(points) {
      await opts.settle?.(points);
      settled.push(points.map((p) => p.fields!.v as number));
      if (opts.incomplete) return new Set(points.filter(opts.incomplete));
    },
    onWritten: (keys) => acked.push(...keys),
  });
  return { w, batches, settled, acked };
}

/** A settle held until the test lets it go, or made to fail. */
function heldSettle() {
  const calls: { release: () => void; fail: (err: Error) => void }[] = [];
  return {
    calls,
    settle: () => new Promise<void>((release, fail) => calls.push({ release, fail })),
  };
}

describe('batch writer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes a batch as soon as it is full, and a partial one when its wait is over', async () => {
    const { w, batches, acked } = writer();
    for (let i = 0; i < 4; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[0, 1, 2]]);
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[0, 1, 2], [3]]);
    expect(acked).toEqual([0, 1, 2, 3]);
  });

  it('acknowledges nothing until the write succeeds, retrying the same batch with backoff', async () => {
    let down = true;
    const { w, batches, acked } = writer({ fail: () => down });
    w.offer({ point: point(1), key: 1 });
    await vi.advanceTimersByTimeAsync(100); // first attempt fails
    await vi.advanceTimersByTimeAsync(200); // second attempt, after 200 ms, fails
    await vi.advanceTimersByTimeAsync(400); // third, after 400 ms, fails
    expect(acked).toEqual([]);
    expect(w.stats.writeErrors).toBe(3);
    down = false;
    await vi.advanceTimersByTimeAsync(800);
    expect(batches).toEqual([[1]]);
    expect(acked).toEqual([1]);
  });

  it('withholds the receipts of points stored incompletely, acknowledges the rest, and does not retry them', async () => {
    const { w, batches, acked } = writer({ incomplete: (p) => p.fields!.v === 2 });
    for (let i = 1; i <= 3; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(acked).toEqual([1, 3]);
    expect(w.stats).toMatchObject({ written: 3, withheld: 1, writeErrors: 0 });
    expect(w.buffered).toBe(0);
  });

  it('writes the full batches waiting back to back, then settles them once; writes wait for the settle', async () => {
    const held = heldSettle();
    const { w, batches, settled, acked } = writer({ settle: held.settle });
    for (let i = 1; i <= 9; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(held.calls).toHaveLength(1); // one settle for the burst, held: no receipt yet
    expect(acked).toEqual([]);
    for (let i = 10; i <= 12; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toHaveLength(3); // a settle never runs beside writes to the same days
    held.calls[0]!.release();
    await vi.advanceTimersByTimeAsync(5);
    expect(acked).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches).toHaveLength(4);
    held.calls[1]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12]]);
    expect(acked).toHaveLength(12);
    expect(w.stats).toMatchObject({ written: 12, settles: 2, writeErrors: 0, settleErrors: 0 });
  });

  it('settles a burst after at most 10 batches, so that receipts never wait for a whole flood', async () => {
    const held = heldSettle();
    const { w, batches } = writer({ settle: held.settle });
    for (let i = 1; i <= 36; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toHaveLength(10);
    expect(held.calls).toHaveLength(1);
  });

  it('keeps the receipts when a settle fails and retries it with backoff, never writing the raw points again', async () => {
    const held = heldSettle();
    const { w, batches, acked } = writer({ settle: held.settle });
    for (let i = 1; i <= 3; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(0);
    held.calls[0]!.fail(new Error('InfluxDB down'));
    await vi.advanceTimersByTimeAsync(0);
    w.offer({ point: point(4), key: 4 });
    await vi.advanceTimersByTimeAsync(150); // the settle waits its backoff, and the writes with it
    expect(batches).toEqual([[1, 2, 3]]);
    expect(held.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50); // 200 ms after the failure: the same points again
    expect(held.calls).toHaveLength(2);
    held.calls[1]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(acked).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(100); // then the 4th, in its own batch and settle
    held.calls[2]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(acked).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(w.stats).toMatchObject({ settleErrors: 1, settles: 2, written: 4 });
  });

  it('counts written points awaiting their settle against its bound', async () => {
    const held = heldSettle();
    const { w } = writer({ maxBufferedPoints: 4, settle: held.settle });
    for (let i = 1; i <= 4; i++) expect(w.offer({ point: point(i), key: i })).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.buffered).toBe(4); // three in the settle, one waiting
    expect(w.offer({ point: point(5), key: 5 })).toBe(false);
    held.calls[0]!.release();
    await vi.advanceTimersByTimeAsync(100);
    held.calls[1]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.buffered).toBe(0);
    expect(w.offer({ point: point(6), key: 6 })).toBe(true);
  });

  it('stops after the settle of what it wrote, one attempt: what fails gets no receipt', async () => {
    const held = heldSettle();
    const { w, acked } = writer({ settle: held.settle, maxWaitMs: 10_000 });
    w.offer({ point: point(1), key: 1 });
    const stopped = w.stop();
    await vi.advanceTimersByTimeAsync(0);
    held.calls[0]!.fail(new Error('InfluxDB down'));
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(held.calls).toHaveLength(1);
    expect(acked).toEqual([]);
  });

  it('on stop, gives a settle waiting for its retry its last attempt at once', async () => {
    const held = heldSettle();
    const { w, acked } = writer({ settle: held.settle });
    for (let i = 1; i <= 3; i++) w.offer({ point: point(i), key: i });
    await vi.advanceTimersByTimeAsync(0);
    held.calls[0]!.fail(new Error('InfluxDB down'));
    await vi.advanceTimersByTimeAsync(0);
    const stopped = w.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(held.calls).toHaveLength(2); // not waiting out the backoff
    held.calls[1]!.release();
    await stopped;
    expect(acked).toEqual([1, 2, 3]);
  });

  it('without a settle, acknowledges a batch when its write is', async () => {
    const acked: number[] = [];
    const w = new BatchWriter<number>({ maxPoints: 2, maxWaitMs: 100, maxBufferedPoints: 10, log, write: async () => {}, onWritten: (keys) => acked.push(...keys) });
    w.offer({ point: point(1), key: 1 });
    w.offer({ point: point(2), key: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(acked).toEqual([1, 2]);
    expect(w.stats).toMatchObject({ written: 2, settles: 0 });
  });

  it('refuses offers beyond its bound instead of growing', async () => {
    const { w } = writer({ maxBufferedPoints: 2, fail: () => true });
    expect(w.offer({ point: point(1), key: 1 })).toBe(true);
    expect(w.offer({ point: point(2), key: 2 })).toBe(true);
    expect(w.offer({ point: point(3), key: 3 })).toBe(false);
    expect(w.buffered).toBe(2);
    expect(w.stats.refused).toBe(1);
  });

  it('flushes what it holds on stop', async () => {
    const { w, batches } = writer({ maxWaitMs: 10_000 });
    w.offer({ point: point(7), key: 7 });
    const stopped = w.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(batches).toEqual([[7]]);
    expect(w.offer({ point: point(8), key: 8 })).toBe(false);
  });
});

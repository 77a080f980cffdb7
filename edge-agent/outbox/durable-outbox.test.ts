import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableOutbox, OutboxFullError, type DurableOutboxOptions } from './durable-outbox.js';
import type { OutboxEvent } from './pending-events.js';
import { crc32, encodeEvent, FILE_HEADER_BYTES, tableCrc32 } from './record-format.js';

const dirs: string[] = [];
const open: DurableOutbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trebuchet-outbox-'));
  dirs.push(d);
  return d;
}
async function openOutbox(dir: string, options: DurableOutboxOptions = {}): Promise<DurableOutbox> {
  const o = await DurableOutbox.open(dir, options);
  open.push(o);
  return o;
}
async function closeOutbox(o: DurableOutbox): Promise<void> {
  await o.close();
  open.splice(open.indexOf(o), 1);
}

function ev(i: number, payload = `{"netKg":${i / 10},"category":"textile","note":"é ✓"}`): OutboxEvent {
  return { id: `ev-${String(i).padStart(4, '0')}`, topic: 'tb/v1/paris-11/pi-1/balance/weighing', payload, acceptedAt: 1_700_000_000_000 + i };
}
const ids = (events: OutboxEvent[]): string[] => events.map((e) => e.id);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);
const files = (dir: string, ext: string): string[] => readdirSync(dir).filter((n) => n.endsWith(ext)).sort();

describe('record format', () => {
  it('computes the standard CRC-32 with zlib or with the table fallback alike', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(tableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    for (let n = 0; n < 50; n++) {
      const b = randomBytes(n * 13);
      expect(tableCrc32(b, 12345)).toBe(crc32(b, 12345));
    }
  });
});

describe('DurableOutbox', () => {
  it('keeps appended events across a reopen, in order, until they are acknowledged', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    expect(o.depth).toBe(0);
    expect(o.oldestAcceptedAt).toBeNull();
    for (const i of range(0, 5)) await o.append(ev(i));
    expect(o.ack([ev(1).id, ev(3).id, 'not-pending'])).toBe(2);
    expect(ids(o.pending())).toEqual(ids([ev(0), ev(2), ev(4)]));
    await closeOutbox(o);

    const again = await openOutbox(dir);
    expect(again.pending()).toEqual([ev(0), ev(2), ev(4)]);
    expect(again.depth).toBe(3);
    expect(again.oldestAcceptedAt).toBe(ev(0).acceptedAt);
    expect(again.bytes).toBeGreaterThan(3 * encodeEvent(ev(0)).length);
    expect(again.recovery).toMatchObject({ segments: 1, records: 5, pending: 3, truncatedBytes: 0, corrupt: [] });
    await expect(again.append({ ...ev(9), acceptedAt: Number.NaN })).rejects.toThrow(/acceptedAt/);
  });

  it('keeps capture order for concurrent appends across many segments and a reopen', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir, { segmentBytes: 2048 });
    const events = range(0, 300).map((i) => ev(i));
    await Promise.all(events.map((e) => o.append(e)));
    expect(ids(o.pending())).toEqual(ids(events));
    await closeOutbox(o);
    expect(files(dir, '.log').length).toBeGreaterThan(10);
    const again = await openOutbox(dir, { segmentBytes: 2048 });
    expect(again.pending()).toEqual(events);
  });

  it('writes an id already pending or in flight only once', async () => {
    const o = await openOutbox(tempDir());
    await Promise.all([o.append(ev(1)), o.append(ev(1)), o.append(ev(2))]);
    await o.append(ev(1));
    expect(ids(o.pending())).toEqual(ids([ev(1), ev(2)]));
    expect(o.stats.appended).toBe(2);
  });

  it('group-commits: appends made during a write+fsync share the next one, and none resolves before its fsync', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let hold = true;
    const o = await openOutbox(tempDir(), {
      beforeSync: (kind) => {
        if (kind === 'segment' && hold) {
          hold = false;
          return held;
        }
      },
    });
    let firstDone = false;
    const first = o.append(ev(0)).then(() => (firstDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(o.stats.syncs.segment).toBe(0); // the first commit is waiting in its fsync
    const rest = range(1, 101).map((i) => o.append(ev(i)));
    await new Promise((r) => setTimeout(r, 20));
    expect(firstDone).toBe(false);
    expect(o.depth).toBe(0);
    release();
    await Promise.all([first, ...rest]);
    expect(o.depth).toBe(101);
    expect(o.stats.commits).toBe(2);
    expect(o.stats.syncs.segment).toBe(2);

    // Without a hold: 500 concurrent appends, a handful of fsyncs.
    const before = o.stats.syncs.segment;
    await Promise.all(range(200, 700).map((i) => o.append(ev(i))));
    expect(o.stats.syncs.segment - before).toBeLessThanOrEqual(3);
  });

  it('cuts a torn last record at every byte and keeps every earlier one', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    const events = range(0, 5).map((i) => ev(i));
    for (const e of events) await o.append(e);
    await closeOutbox(o);
    const [log] = files(dir, '.log');
    const whole = readFileSync(join(dir, log!));
    const lastStart = whole.length - encodeEvent(events[4]!).length;
    for (let cut = lastStart; cut < whole.length; cut++) {
      const d = tempDir();
      writeFileSync(join(d, log!), whole.subarray(0, cut));
      const r = await openOutbox(d);
      expect(r.pending(), `cut at ${cut}`).toEqual(events.slice(0, 4));
      expect(r.recovery.truncatedBytes).toBe(cut - lastStart);
      // The cut leaves a clean append point: a new record after it reads back.
      await r.append(ev(99));
      await closeOutbox(r);
      const r2 = await openOutbox(d);
      expect(ids(r2.pending())).toEqual(ids([...events.slice(0, 4), ev(99)]));
      expect(r2.recovery.corrupt).toEqual([]);
      await closeOutbox(r2);
      rmSync(d, { recursive: true });
    }
  });

  it('cuts a zero-filled tail (a file extended but not written before a power cut)', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    for (const i of range(0, 3)) await o.append(ev(i));
    await closeOutbox(o);
    appendFileSync(join(dir, files(dir, '.log')[0]!), Buffer.alloc(4096));
    const r = await openOutbox(dir);
    expect(ids(r.pending())).toEqual(ids(range(0, 3).map((i) => ev(i))));
    expect(r.recovery.truncatedBytes).toBe(4096);
    expect(r.recovery.corrupt).toMatchObject([{ kind: 'torn-tail', length: 4096 }]);
  });

  // Choice: a damaged record in the middle of a segment costs that record only. The reader resynchronises
  // on the next record magic whose CRC checks out; the damaged bytes are reported and left in place.
  it.each([
    ['a payload byte', 40],
    ['the length field', 5],
    ['the magic', 0],
    ['the CRC', 9],
  ])('skips only the record whose %s is damaged mid-segment, and reports it', async (_what, at) => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    const events = range(0, 10).map((i) => ev(i));
    for (const e of events) await o.append(e);
    await closeOutbox(o);
    const path = join(dir, files(dir, '.log')[0]!);
    const buf = readFileSync(path);
    const size = encodeEvent(events[5]!).length;
    const start = FILE_HEADER_BYTES + events.slice(0, 5).reduce((n, e) => n + encodeEvent(e).length, 0);
    buf[start + at] = buf[start + at]! ^ 0x5a;
    writeFileSync(path, buf);

    const r = await openOutbox(dir);
    expect(r.pending()).toEqual(events.filter((_, k) => k !== 5));
    expect(r.recovery.corrupt).toEqual([{ file: files(dir, '.log')[0], offset: start, length: size, kind: 'skipped' }]);
    expect(r.recovery.truncatedBytes).toBe(0);
    await r.append(ev(10));
    await closeOutbox(r);
    const r2 = await openOutbox(dir);
    expect(ids(r2.pending())).toEqual(ids([...events.filter((_, k) => k !== 5), ev(10)]));
  });

  it('refuses with OutboxFullError at the bound, never dropping an older event, and accepts again once receipts free room', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 1024, maxBytes: 4096 };
    const o = await openOutbox(dir, opts);
    const accepted: OutboxEvent[] = [];
    let refusal: unknown;
    for (let i = 0; i < 1000 && refusal === undefined; i++) {
      try {
        await o.append(ev(i));
        accepted.push(ev(i));
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(OutboxFullError);
    expect((refusal as Error).message).toMatch(/^outbox full: \d+ of 4096 bytes hold \d+ unacknowledged events, so event ev-\d+ was refused/);
    expect(o.full).toBe(true);
    expect(o.refused).toBe(1);
    await expect(o.append(ev(5000))).rejects.toBeInstanceOf(OutboxFullError);
    expect(o.refused).toBe(2);
    expect(o.bytes).toBeLessThanOrEqual(4096);
    expect(o.pending()).toEqual(accepted);
    await closeOutbox(o);

    const r = await openOutbox(dir, opts);
    expect(r.pending()).toEqual(accepted);
    await expect(r.append(ev(5000))).rejects.toBeInstanceOf(OutboxFullError);
    // Every other event acknowledged: sealed segments are half dead, so room comes by compaction.
    r.ack(ids(accepted.filter((_, k) => k % 2 === 0)));
    await r.append(ev(5001));
    expect(r.full).toBe(false);
    expect(r.stats.compactions).toBeGreaterThan(0);
    const expected = [...accepted.filter((_, k) => k % 2 === 1), ev(5001)];
    expect(r.pending()).toEqual(expected);
    await closeOutbox(r);
    expect((await openOutbox(dir, opts)).pending()).toEqual(expected);
  });

  it('deletes segments once all their events are acknowledged', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir, { segmentBytes: 512 });
    const events = range(0, 40).map((i) => ev(i));
    for (const e of events) await o.append(e);
    expect(files(dir, '.log').length).toBeGreaterThan(8);
    const bytesBefore = o.bytes;
    o.ack(ids(events.slice(0, 36)));
    await closeOutbox(o);
    expect(o.stats.segmentsDeleted).toBeGreaterThan(6);
    expect(files(dir, '.log').length).toBeLessThanOrEqual(2);
    expect(o.bytes).toBeLessThan(bytesBefore / 3);
    const r = await openOutbox(dir, { segmentBytes: 512 });
    expect(r.pending()).toEqual(events.slice(36));
    r.ack(ids(events.slice(36)));
    await r.append(ev(100)); // goes to the active segment; the sealed one, all acked, goes
    await closeOutbox(r);
    expect((await openOutbox(dir, { segmentBytes: 512 })).pending()).toEqual([ev(100)]);
    expect(files(dir, '.log')).toHaveLength(1);
  });

  it('compacts a mostly acknowledged segment to a new generation, and a crash mid-compaction loses nothing', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 1024 };
    const o = await openOutbox(dir, opts);
    const events = range(0, 30).map((i) => ev(i));
    for (const e of events) await o.append(e);
    const firstLog = files(dir, '.log')[0]!;
    const saved = readFileSync(join(dir, firstLog));
    o.ack(ids(events.filter((_, k) => k % 3 !== 0)));
    await closeOutbox(o);
    expect(o.stats.compactions).toBeGreaterThan(0);
    const kept = events.filter((_, k) => k % 3 === 0);
    expect(files(dir, '.log')).not.toContain(firstLog);

    // As if the crash came after the new generation's rename but before the old one's removal, with a
    // half-written .tmp of another compaction lying around.
    writeFileSync(join(dir, firstLog), saved);
    writeFileSync(join(dir, `${files(dir, '.log')[1]!}.tmp`), saved.subarray(0, 100));
    const r = await openOutbox(dir, opts);
    expect(r.pending()).toEqual(kept);
    expect(r.recovery.filesRemoved).toBe(2);
    expect(files(dir, '.log')).not.toContain(firstLog);
    expect(files(dir, '.tmp')).toEqual([]);
  });

  it('treats a missing ack log as "resend", and a damaged one is cut, never misread', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir, { ackFlushMs: 0 });
    const events = range(0, 10).map((i) => ev(i));
    for (const e of events) await o.append(e);
    o.ack(ids(events.slice(0, 3)));
    await new Promise((r) => setTimeout(r, 50));
    o.ack(ids(events.slice(3, 6)));
    await closeOutbox(o);
    const [ack] = files(dir, '.ack');
    const ackBuf = readFileSync(join(dir, ack!));
    expect((await openOutbox(dir)).pending()).toEqual(events.slice(6));
    await closeOutbox(open[0]!);

    // Damage in the second ack frame: the first still counts, the second's events come back.
    const damaged = Buffer.from(ackBuf);
    damaged[damaged.length - 2] = damaged[damaged.length - 2]! ^ 0xff;
    writeFileSync(join(dir, ack!), damaged);
    const r = await openOutbox(dir);
    expect(r.pending()).toEqual(events.slice(3));
    expect(r.recovery.ackLogsRepaired).toBe(1);
    await closeOutbox(r);

    // Damage in the first: all acks of the file are dropped (later frames are not trusted after damage).
    const early = Buffer.from(ackBuf);
    early[FILE_HEADER_BYTES + 13] = early[FILE_HEADER_BYTES + 13]! ^ 0xff;
    writeFileSync(join(dir, ack!), early);
    expect((await openOutbox(dir)).pending()).toEqual(events);
    await closeOutbox(open[0]!);

    rmSync(join(dir, ack!));
    const gone = await openOutbox(dir);
    expect(gone.pending()).toEqual(events);
    expect(gone.recovery.ackLogsRepaired).toBe(0);
  });

  it('ignores a half-written segment (a crash during its creation) and goes on appending', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    for (const i of range(0, 3)) await o.append(ev(i));
    await closeOutbox(o);
    writeFileSync(join(dir, 'seg-0000000002-0.log'), Buffer.from('TBO'));
    const r = await openOutbox(dir);
    expect(ids(r.pending())).toEqual(ids(range(0, 3).map((i) => ev(i))));
    expect(files(dir, '.log')).toEqual(['seg-0000000001-0.log']);
    await r.append(ev(3)); // into a new segment: only the newest file is ever appended to in place
    await closeOutbox(r);
    expect(ids((await openOutbox(dir)).pending())).toEqual(ids(range(0, 4).map((i) => ev(i))));
    expect(files(dir, '.log')).toEqual(['seg-0000000001-0.log', 'seg-0000000003-0.log']);
  });

  it('rejects the appends of a commit whose fsync failed, and goes on in a fresh segment', async () => {
    const dir = tempDir();
    let failNext = false;
    const o = await openOutbox(dir, {
      beforeSync: (kind) => {
        if (kind === 'segment' && failNext) {
          failNext = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
      },
    });
    await o.append(ev(0));
    failNext = true;
    await expect(o.append(ev(1))).rejects.toThrow(/event ev-0001 not accepted: EIO/);
    expect(o.depth).toBe(1);
    await o.append(ev(2));
    expect(files(dir, '.log')).toHaveLength(2);
    await closeOutbox(o);
    // ev-0001 was written but never acknowledged as accepted: it may come back (a resend), ev-0 and ev-2 must.
    const back = ids((await openOutbox(dir)).pending());
    expect(back.filter((id) => id !== ev(1).id)).toEqual(ids([ev(0), ev(2)]));
  });

  it('refuses a second instance on the same directory, and appends after close', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    await expect(DurableOutbox.open(dir)).rejects.toThrow(/already open/);
    await closeOutbox(o);
    await expect(o.append(ev(1))).rejects.toThrow(/closed/);
  });
});

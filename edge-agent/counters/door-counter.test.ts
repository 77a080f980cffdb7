import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceState } from '../../protocol/index.js';
import type { CounterDriver, CounterDriverEvents } from '../drivers/counter.js';
import { DoorCounter, visitsConfigSchema, type CounterNotice, type DoorCounterOptions } from './door-counter.js';
import type { VisitsBucket } from './visits-buckets.js';

const M16 = 65_536;

class FakeCounterDriver extends EventEmitter<CounterDriverEvents> implements CounterDriver {
  running = false;
  start(): void {
    this.running = true;
  }
  async stop(): Promise<void> {
    this.running = false;
  }
  read(countIn: number, countOut = 0, modulo = M16): void {
    this.emit('counts', { in: countIn, out: countOut, modulo });
  }
}

function fakeClock(iso = '2025-03-14T10:00:00Z') {
  return {
    t: Date.parse(iso),
    now() {
      return this.t;
    },
    at(s: string) {
      this.t = Date.parse(s);
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trebuchet-door-counter-'));
  dirs.push(d);
  return d;
}

/** What InfluxDB ends up holding: one point per bucket start, the last write wins. */
class Downstream {
  readonly points = new Map<string, VisitsBucket>();
  readonly writes: VisitsBucket[] = [];
  take = (b: VisitsBucket): void => {
    this.writes.push(b);
    this.points.set(b.bucketStart, b);
  };
  get total(): { in: number; out: number } {
    let i = 0;
    let o = 0;
    for (const b of this.points.values()) {
      i += b.in;
      o += b.out;
    }
    return { in: i, out: o };
  }
}

function counterOn(stateDir: string, clock: ReturnType<typeof fakeClock>, downstream = new Downstream(), options: Partial<DoorCounterOptions> = {}) {
  const driver = new FakeCounterDriver();
  const counter = new DoorCounter(driver, { deviceId: 'porte', stateDir, clock, tickMs: 0, ...options });
  const states: DeviceState[] = [];
  const notices: CounterNotice[] = [];
  counter.on('visits', downstream.take);
  counter.on('state', (s) => states.push(s));
  counter.on('notice', (n) => notices.push(n));
  counter.start();
  return { driver, counter, states, notices, downstream };
}

const fileState = (counter: DoorCounter) => JSON.parse(readFileSync(counter.statePath, 'utf8'));

describe('DoorCounter: counting', () => {
  it('takes a baseline, counts deltas into buckets, and emits each closed bucket once', () => {
    const clock = fakeClock();
    const { driver, counter, notices, downstream } = counterOn(tempDir(), clock);
    clock.at('2025-03-14T10:00:05Z');
    driver.read(1_000, 990);
    clock.at('2025-03-14T10:00:10Z');
    driver.read(1_003, 990);
    clock.at('2025-03-14T10:00:50Z');
    driver.read(1_005, 992);
    driver.read(1_005, 992);
    expect(counter.openBucket).toEqual({ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 5, out: 2 });
    clock.at('2025-03-14T10:01:05Z');
    driver.read(1_006, 992);
    clock.at('2025-03-14T10:02:00Z');
    counter.tick();
    counter.tick();
    expect(downstream.writes).toEqual([
      { bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 5, out: 2 },
      { bucketStart: '2025-03-14T10:01:00.000Z', bucketSeconds: 60, in: 1, out: 0 },
    ]);
    expect(notices).toEqual([{ level: 'info', message: 'baseline in=1000 out=990 (first reading)' }]);
  });

  it('counts through a wrap and a confirmed power-cut reset, with notices', () => {
    const clock = fakeClock('2025-03-14T10:00:01Z');
    const { driver, counter, notices, downstream } = counterOn(tempDir(), clock, undefined, { visits: { bucketSeconds: 300 } });
    for (const raw of [65_530, 65_535, 4, 20, 2, 5, 6]) {
      clock.t += 1000;
      driver.read(raw, 0);
    }
    expect(counter.openBucket).toMatchObject({ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 300, in: 5 + 5 + 16 + 5 + 1 });
    clock.at('2025-03-14T10:05:00Z');
    counter.tick();
    expect(downstream.total).toEqual({ in: 32, out: 0 });
    expect(notices.map((n) => n.message)).toEqual([
      'baseline in=65530 out=0 (first reading)',
      'in counter 65535 → 4: wrapped (modulo 65536), counted 5',
      'in 20 → 2 looks like a reset; waiting for the next reading to confirm it',
      'in counter 20 → 5: reset (power cut?) confirmed, counted 5 (readings above 1000 count 0)',
    ]);
  });

  it('saves the state at most once a second while counts change, and at once when a bucket closes', () => {
    const clock = fakeClock('2025-03-14T10:00:10Z');
    const { driver, counter } = counterOn(tempDir(), clock);
    driver.read(100);
    expect(fileState(counter)).toMatchObject({ last: { in: 100, out: 0, modulo: M16 }, open: null });
    clock.t += 200;
    driver.read(103);
    clock.t += 200;
    driver.read(104);
    expect(fileState(counter).last.in).toBe(100); // throttled
    clock.t += 600;
    counter.tick();
    expect(fileState(counter)).toMatchObject({ last: { in: 104 }, open: { bucketStart: '2025-03-14T10:00:00.000Z', in: 4 } });
    clock.t += 100;
    driver.read(105);
    expect(fileState(counter).last.in).toBe(104);
    clock.at('2025-03-14T10:01:00.001Z');
    counter.tick();
    expect(fileState(counter)).toMatchObject({ last: { in: 105 }, open: null, closedUntil: '2025-03-14T10:01:00.000Z' });
  });

  it('keeps counting when the state cannot be saved, and says so', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const clock = fakeClock();
    const { driver, counter, notices } = counterOn(join(dir, 'file'), clock);
    driver.read(10);
    clock.t += 5_000;
    driver.read(12);
    expect(counter.openBucket?.in).toBe(2);
    expect(notices.filter((n) => n.level === 'warn').map((n) => n.message)).toEqual([
      expect.stringMatching(/^cannot read .*porte\.json: ENOTDIR.*counting starts from a new baseline$/),
      expect.stringMatching(/^cannot save .*porte\.json: /),
      expect.stringMatching(/^cannot save .*porte\.json: /),
    ]);
  });

  it('validates its visits block', () => {
    expect(visitsConfigSchema.parse({})).toEqual({ bucketSeconds: 60, wrapWindow: 0.1, maxDeltaPerReading: 1000 });
    expect(visitsConfigSchema.safeParse({ bucketSeconds: 7 }).error?.issues[0]?.message).toMatch(/must divide 86400/);
    expect(visitsConfigSchema.safeParse({ bucket: 60 }).success).toBe(false);
  });
});

describe('DoorCounter: restarts', () => {
  it('kill and restart mid-bucket: no double count, the resumed bucket has the same start and the full count', () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const downstream = new Downstream();
    const a = counterOn(dir, clock, downstream);
    a.driver.read(100, 50);
    clock.at('2025-03-14T10:00:10Z');
    a.driver.read(105, 51); // saved
    clock.at('2025-03-14T10:00:10.500Z');
    a.driver.read(108, 53); // counted in memory, not saved yet: then the process is killed
    expect(fileState(a.counter)).toMatchObject({ last: { in: 105, out: 51 }, open: { in: 5, out: 1 } });

    clock.at('2025-03-14T10:00:20Z');
    const b = counterOn(dir, clock, downstream); // a new process on the same state dir
    b.driver.read(112, 55);
    expect(b.counter.openBucket).toEqual({ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 12, out: 5 });
    clock.at('2025-03-14T10:01:00Z');
    b.counter.tick();
    expect(downstream.writes).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 12, out: 5 }]);
    expect(downstream.total).toEqual({ in: 112 - 100, out: 55 - 50 });
  });

  it('a restart after the bucket ended puts what came meanwhile into the resumed bucket, emitted at once', async () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const downstream = new Downstream();
    const a = counterOn(dir, clock, downstream);
    a.driver.read(100);
    clock.at('2025-03-14T10:00:30Z');
    a.driver.read(104);
    await a.counter.stop(); // graceful: saved at once, the open bucket kept for the next start
    expect(a.driver.running).toBe(false);
    expect(downstream.writes).toEqual([]);

    clock.at('2025-03-14T10:05:00Z');
    const b = counterOn(dir, clock, downstream);
    b.counter.tick(); // the resumed bucket waits for the first reading
    expect(downstream.writes).toEqual([]);
    clock.at('2025-03-14T10:05:02Z');
    b.driver.read(110);
    expect(downstream.writes).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 10, out: 0 }]);
    clock.t += 1000;
    b.driver.read(111);
    expect(b.counter.openBucket).toMatchObject({ bucketStart: '2025-03-14T10:05:00.000Z', in: 1 });
  });

  it('a crash between a bucket emission and its save re-emits it with the same start: it overwrites itself', () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const downstream = new Downstream();
    const a = counterOn(dir, clock, downstream);
    let onDiskAtEmission: string | undefined;
    a.counter.on('visits', () => (onDiskAtEmission = readFileSync(a.counter.statePath, 'utf8')));
    a.driver.read(100);
    clock.at('2025-03-14T10:00:30Z');
    a.driver.read(110);
    clock.at('2025-03-14T10:00:30.500Z');
    a.driver.read(115);
    clock.at('2025-03-14T10:01:02Z');
    a.driver.read(118); // closes 10:00 with 15, emitted, then saved
    expect(downstream.writes).toEqual([expect.objectContaining({ bucketStart: '2025-03-14T10:00:00.000Z', in: 15 })]);
    writeFileSync(a.counter.statePath, onDiskAtEmission!); // the crash came before the save

    clock.at('2025-03-14T10:01:10Z');
    const b = counterOn(dir, clock, downstream);
    b.driver.read(120);
    expect(downstream.writes.map((w) => [w.bucketStart, w.in])).toEqual([
      ['2025-03-14T10:00:00.000Z', 15],
      ['2025-03-14T10:00:00.000Z', 20],
    ]);
    clock.at('2025-03-14T10:02:00Z');
    b.counter.tick();
    expect(downstream.total.in).toBe(120 - 100);
  });

  it('a power cut while the agent was down: the confirmed reset is counted into the resumed bucket', async () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const downstream = new Downstream();
    const a = counterOn(dir, clock, downstream);
    a.driver.read(495, 490);
    a.driver.read(500, 490);
    await a.counter.stop();
    clock.at('2025-03-14T10:00:40Z');
    const b = counterOn(dir, clock, downstream);
    b.driver.read(3, 1); // held
    clock.at('2025-03-14T10:01:01Z');
    b.counter.tick(); // still waiting for the confirming reading
    expect(downstream.writes).toEqual([]);
    b.driver.read(4, 1);
    expect(downstream.writes).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 9, out: 1 }]);
  });

  it('sets a corrupt state file aside, reports it, and starts from a new baseline', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'porte.json'), '{"v":1,"deviceId":"porte","last":{"in":');
    const clock = fakeClock();
    const { driver, counter, notices } = counterOn(dir, clock);
    expect(notices[0]).toEqual({ level: 'warn', message: expect.stringMatching(/^unusable state file .*porte\.json .*moved to .*porte\.json\.bad/) });
    expect(existsSync(join(dir, 'porte.json.bad'))).toBe(true);
    driver.read(4_000);
    clock.t += 2_000;
    driver.read(4_002);
    expect(counter.openBucket?.in).toBe(2);
    expect(fileState(counter)).toMatchObject({ v: 1, deviceId: 'porte', last: { in: 4_002 } });
  });
});

describe('DoorCounter: health', () => {
  it('follows the link and the errors', () => {
    const clock = fakeClock();
    const { driver, counter, states } = counterOn(tempDir(), clock);
    expect(counter.health).toEqual({ state: 'offline', lastReadingAt: null, consecutiveErrors: 0, detail: 'connecting to the device' });
    driver.emit('link', 'connecting', 'serial /dev/ttyUSB0 9600 8N1');
    driver.emit('link', 'open', 'serial /dev/ttyUSB0 9600 8N1');
    expect(counter.health.state).toBe('ok');
    for (let i = 0; i < 2; i++) driver.emit('frameError', { reason: 'bad CRC: got 0x41, expected 0x40', raw: '<02>' });
    expect(counter.health).toMatchObject({ state: 'ok', consecutiveErrors: 2 });
    driver.read(70_000); // beyond its 16-bit modulo
    expect(counter.health).toEqual({
      state: 'degraded',
      lastReadingAt: null,
      consecutiveErrors: 3,
      detail: '3 errors in a row, last: raw in count 70000 is not an integer in [0, 65536)',
    });
    driver.read(10);
    expect(counter.health).toEqual({ state: 'ok', lastReadingAt: '2025-03-14T10:00:00.000Z', consecutiveErrors: 0 });
    driver.emit('link', 'closed', 'disconnected: EIO');
    expect(counter.health).toMatchObject({ state: 'offline', detail: 'disconnected: EIO' });
    expect(states.map((s) => [s.state, s.detail])).toEqual([
      ['offline', 'connecting to the device'],
      ['offline', 'connecting to serial /dev/ttyUSB0 9600 8N1'],
      ['ok', undefined],
      ['degraded', expect.stringMatching(/^3 errors in a row/)],
      ['ok', undefined],
      ['offline', 'disconnected: EIO'],
    ]);
  });

  it('is degraded when a periodic counter falls silent (staleAfterMs), reported once', () => {
    const clock = fakeClock();
    const { driver, counter, states } = counterOn(tempDir(), clock, undefined, { staleAfterMs: 30_000 });
    driver.emit('link', 'open');
    driver.read(10);
    clock.t += 29_000;
    counter.tick();
    expect(counter.health.state).toBe('ok');
    for (let i = 0; i < 5; i++) {
      clock.t += 2_000;
      counter.tick();
    }
    expect(counter.health).toMatchObject({ state: 'degraded', detail: 'no count reading for 39 s' });
    expect(states.filter((s) => s.state === 'degraded')).toHaveLength(1);
    driver.read(10);
    expect(counter.health.state).toBe('ok');
  });

  it('is offline once stopped', async () => {
    const { driver, counter } = counterOn(tempDir(), fakeClock());
    driver.emit('link', 'open');
    await counter.stop();
    expect(counter.health).toMatchObject({ state: 'offline', detail: 'stopped' });
    expect(driver.listenerCount('counts')).toBe(0);
  });
});

describe('DoorCounter: delivery to the outbox', () => {
  /** The agent's outbox: what it took is stored in the end (one point per bucket start, the last wins). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it('a kill at any moment after a delivery never counts a passage twice, nor loses one', async () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const outbox = new Downstream();
    /** The state file at the moment the outbox took each bucket: where a SIGKILL right then restarts from. */
    const onDiskAtDelivery: { file: string; writes: VisitsBucket[] }[] = [];
    let release: (() => void) | undefined;
    const gate = () => new Promise<void>((resolve) => (release = resolve));
    const deliver = async (b: VisitsBucket) => {
      await gate();
      outbox.take(b);
      onDiskAtDelivery.push({ file: readFileSync(a.counter.statePath, 'utf8'), writes: [...outbox.writes] });
    };
    const a = counterOn(dir, clock, new Downstream(), { deliver });
    a.driver.read(100);
    clock.at('2025-03-14T10:00:30Z');
    a.driver.read(110); // saved
    clock.at('2025-03-14T10:00:30.500Z');
    a.driver.read(115); // in memory only
    clock.at('2025-03-14T10:01:02Z');
    a.driver.read(118); // closes 10:00 with 15; its delivery waits on the outbox
    clock.at('2025-03-14T10:02:01Z');
    a.driver.read(125); // closes 10:01 with 3 while the first is still being delivered; 7 open at 10:02
    for (let i = 0; i < 2; i++) {
      await settled();
      release!();
    }
    await settled();
    expect(outbox.writes.map((w) => [w.bucketStart, w.in])).toEqual([
      ['2025-03-14T10:00:00.000Z', 15],
      ['2025-03-14T10:01:00.000Z', 3],
    ]);
    expect(onDiskAtDelivery).toHaveLength(2);

    for (const [k, { file, writes }] of onDiskAtDelivery.entries()) {
      const restartDir = tempDir();
      writeFileSync(join(restartDir, 'porte.json'), file);
      const after = new Downstream();
      for (const w of writes) after.take(w);
      clock.at('2025-03-14T10:02:30Z');
      const b = counterOn(restartDir, clock, new Downstream(), { deliver: async (bucket) => after.take(bucket) });
      await settled();
      b.driver.read(130);
      clock.at('2025-03-14T10:04:00Z');
      b.counter.tick();
      await b.counter.stop();
      expect({ kill: k, ...after.total }).toEqual({ kill: k, in: 130 - 100, out: 0 });
    }
  });

  it('keeps a bucket the outbox refused, retries it at the next tick, and after a restart', async () => {
    const dir = tempDir();
    const clock = fakeClock('2025-03-14T10:00:05Z');
    const outbox = new Downstream();
    let refuse = true;
    const deliver = async (b: VisitsBucket) => {
      if (refuse) throw new Error('ENOSPC: no space left on device');
      outbox.take(b);
    };
    const a = counterOn(dir, clock, new Downstream(), { deliver });
    a.driver.read(100);
    a.driver.read(104);
    clock.at('2025-03-14T10:01:02Z');
    a.driver.read(105); // closes 10:00 with 4: refused
    await settled();
    a.counter.tick(); // refused again: warned once
    await settled();
    expect(a.notices.filter((n) => n.level === 'warn')).toEqual([{ level: 'warn', message: expect.stringMatching(/could not be stored, will retry: ENOSPC/) }]);
    clock.at('2025-03-14T10:01:10Z');
    a.driver.read(107); // a later save keeps the refused bucket
    expect(fileState(a.counter).closed).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 4, out: 0 }]);

    // A kill now, and a restart from that file, delivers it first.
    const restartDir = tempDir();
    writeFileSync(join(restartDir, 'porte.json'), readFileSync(a.counter.statePath));
    const b = counterOn(restartDir, clock, new Downstream(), { deliver: async (bucket) => outbox.take(bucket) });
    await settled();
    expect(outbox.writes).toEqual([{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 4, out: 0 }]);
    await b.counter.stop();
    expect(fileState(b.counter).closed).toEqual([]);

    // Or, had it run on, its next tick once the outbox takes it again.
    refuse = false;
    a.counter.tick();
    await settled();
    expect(outbox.writes).toHaveLength(2);
    expect(a.notices.at(-1)).toEqual({ level: 'info', message: 'visits buckets stored again' });
  });
});

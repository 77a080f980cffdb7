import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DoorCounter, type CounterNotice } from '../../edge-agent/counters/door-counter.js';
import type { VisitsBucket } from '../../edge-agent/counters/visits-buckets.js';
import { createSerialCounterDriver } from '../../edge-agent/drivers/serial-counter/driver.js';
import type { FrameError } from '../../edge-agent/drivers/scale.js';
import { transportSchema } from '../../edge-agent/transport/config.js';
import { createPtyPair } from '../../firmware-sim/common/pty-pair.js';
import { encodeSerialCounterFrame } from '../../firmware-sim/counters/serial-counter-frames.js';
import { SimulatedSerialCounter } from '../../firmware-sim/counters/simulated-serial-counter.js';
import { cleanupsAfterEach } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('serial people counter over a socat pty pair → SerialCounterDriver → DoorCounter', () => {
  it('counts every visitor exactly once through a decimal wrap, a power cut and an agent restart', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const stateDir = mkdtempSync(join(tmpdir(), 'trebuchet-counter-it-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));

    // A decimal display wrapping at 999999, just below it; a shop day at 600× (≈ 4 customers a second).
    const layout = { modulo: 1_000_000 };
    const sim = new SimulatedSerialCounter({ layout, intervalMs: 50, timeScale: 600, initial: { in: 999_990, out: 999_995 }, seed: 3 });
    cleanups.push(() => sim.stop());
    await pair.attach(sim);

    // What InfluxDB ends up with: one point per bucket start, the last write wins.
    const points = new Map<string, VisitsBucket>();
    const writes: Array<{ by: string; bucket: VisitsBucket }> = [];
    const notices: CounterNotice[] = [];
    const frameErrors: FrameError[] = [];
    function startAgent(name: string): DoorCounter {
      const driver = createSerialCounterDriver({ transport: transportSchema.parse({ type: 'serial', path: pair.devicePath }), serialCounter: layout });
      driver.on('frameError', (e) => frameErrors.push(e));
      const counter = new DoorCounter(driver, { deviceId: 'porte-entree', stateDir, visits: { bucketSeconds: 1 }, tickMs: 100 });
      counter.on('visits', (bucket) => {
        writes.push({ by: name, bucket });
        points.set(bucket.bucketStart, bucket);
      });
      counter.on('notice', (n) => notices.push(n));
      counter.start();
      cleanups.push(() => counter.stop());
      return counter;
    }
    const stored = () => [...points.values()].reduce((t, b) => ({ in: t.in + b.in, out: t.out + b.out }), { in: 0, out: 0 });
    const said = (re: RegExp) => notices.some((n) => re.test(n.message));

    const a = startAgent('a');
    // The agent's first reading is its baseline: the simulated day starts only then.
    await waitFor('the baseline', () => {
      sim.sendFrame();
      return a.health.state === 'ok' && a.health.lastReadingAt !== null;
    });
    sim.start();

    await waitFor('both counters to wrap', () => said(/^in counter .*wrapped/) && said(/^out counter .*wrapped/));
    sim.sendRaw(Buffer.from([0x00, 0xff, 0x02, 0x03])); // line noise, with a false STX
    const corrupt = encodeSerialCounterFrame(sim.raw, sim.layout);
    corrupt[9]! ^= 0x01;
    sim.sendRaw(corrupt);
    // One error for the whole run: the false STX fails first (no ETX), the corrupt frame after it too.
    await waitFor('the frame error', () => frameErrors.some((e) => /^no ETX .*; 15 bytes skipped to the next frame$/.test(e.reason)));

    const before = sim.counted.in;
    sim.powerCut();
    await sleep(300);
    sim.powerOn();
    await waitFor('the reset to be confirmed', () => said(/^in counter .*reset \(power cut\?\) confirmed/));
    await waitFor('visitors after the power cut', () => sim.counted.in > before + 5);

    // Kill the agent: it emits nothing more, and its state file stays as it was at this instant
    // (up to a second behind the counts), even though stop() below saves.
    await sleep(450);
    a.removeAllListeners('visits');
    const onDisk = readFileSync(a.statePath, 'utf8');
    await a.stop();
    writeFileSync(a.statePath, onDisk);
    await sleep(700); // the door counts on while the agent is down

    startAgent('b');
    await sleep(1_500);

    // Closing time: the counts stop moving; the last frames reach the agent and the last bucket closes.
    sim.stop();
    const keepSending = setInterval(() => sim.sendFrame(), 50);
    cleanups.push(() => clearInterval(keepSending));
    await sleep(1_500);

    const truth = sim.counted;
    console.log(`[serial-counter-pty] ${truth.in} in, ${truth.out} out; ${points.size} buckets; ${frameErrors.length} frame errors`);
    expect(stored()).toEqual(truth);
    expect(truth.in).toBeGreaterThan(20);

    // The restarted agent resumed the bucket the dead one left open: same start, no count lost or doubled.
    const persisted = JSON.parse(onDisk) as { open: VisitsBucket | null };
    if (persisted.open) {
      const resumed = writes.find((w) => w.by === 'b' && w.bucket.bucketStart === persisted.open!.bucketStart);
      expect(resumed?.bucket.in).toBeGreaterThanOrEqual(persisted.open.in);
    }
    // At most once per start, except a resumed one.
    const starts = writes.map((w) => w.bucket.bucketStart);
    expect(new Set(starts).size).toBeGreaterThanOrEqual(starts.length - 1);
    expect(notices.filter((n) => n.level === 'warn' && !/reset|looks like a reset/.test(n.message))).toEqual([]);
  });
});

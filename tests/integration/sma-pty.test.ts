import { describe, expect, it } from 'vitest';
import { createSmaDriver } from '../../edge-agent/drivers/sma/driver.js';
import type { PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedSmaScale } from '../../firmware-sim/sma/simulated-sma-scale.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('SMA driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup() {
    // An indicator that prints a start-up line each time it is plugged in, answers after a few
    // milliseconds, and runs 7E1 on a port read as 8N1: the driver masks the parity bits.
    const scale = new SimulatedSmaScale({ settleMs: [300, 600], banner: 'ACME SCALE V1.00\r\n', replyDelayMs: 5, parity: 'even' });
    const rig = await driverOnPty(cleanups, scale, (transport) => createSmaDriver({ transport, sma: { pollMs: 50, replyTimeoutMs: 300 } }));
    pair = rig.pair;
    return rig;
  }

  it('polls moving then stable readings, tares, and reads through garbage', async () => {
    const { scale, driver, seen } = await setup();
    await loadAndSettle(scale, seen, 12.34);
    expect(scale.received.every((c) => c === 'W')).toBe(true);

    const from = seen.readings.length;
    driver.command('tare');
    await waitFor('a net zero after the tare', () => seen.readings.slice(from).some((r) => isMass(r.reading, 0, true, true)));
    expect(scale.received).toContain('T');
    await loadAndSettle(scale, seen, 5, true);

    // Bytes outside the LF…CR of a reply are one frame error each time; the replies still read.
    const errorsBefore = seen.errors.length;
    scale.faults.garbageBeforeReply = Buffer.from([0x00, 0xff]);
    const afterGarbage = seen.readings.length;
    await waitFor('readings through the garbage', () => seen.readings.slice(afterGarbage).filter((r) => isMass(r.reading, 5, true, true)).length >= 5);
    scale.faults.garbageBeforeReply = undefined;
    const garbage = seen.errors.slice(errorsBefore);
    expect(garbage.length).toBeGreaterThanOrEqual(5);
    expect(garbage.every((e) => e.reason === 'bytes outside a frame (before LF)' && e.raw === '<00><7F>')).toBe(true);
  });

  it('reports a dead scale while it keeps asking, and reads again when it answers', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 2);
    scale.faults.dead = true;
    const errorsBefore = seen.errors.length;
    const asked = scale.received.length;
    const timeouts = () => seen.errors.slice(errorsBefore).filter((e) => e.reason === 'no reply to <LF>W<CR> within 300 ms');
    await waitFor('three reply timeouts', () => timeouts().length >= 3);
    expect(scale.received.length - asked).toBeGreaterThanOrEqual(3); // still polling, one request per timeout
    expect(scale.received.length - asked).toBeLessThanOrEqual(timeouts().length + 1);
    scale.faults.dead = false;
    const from = seen.readings.length;
    await waitFor('a reading from the revived scale', () => seen.readings.slice(from).some((r) => isMass(r.reading, 2, true)));
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'sma-pty');
  });
});

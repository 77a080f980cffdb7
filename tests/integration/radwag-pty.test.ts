import { describe, expect, it } from 'vitest';
import { createRadwagDriver } from '../../edge-agent/drivers/radwag/driver.js';
import type { PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedRadwagScale } from '../../firmware-sim/radwag/simulated-radwag-scale.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('Radwag driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup() {
    // A balance that answers after a few milliseconds, on a 7E1 line read as 8N1: the driver masks the parity bits.
    const scale = new SimulatedRadwagScale({ settleMs: [300, 600], replyDelayMs: 5, parity: 'even' });
    const rig = await driverOnPty(cleanups, scale, (transport) => createRadwagDriver({ transport, radwag: { pollMs: 50, replyTimeoutMs: 300 } }));
    pair = rig.pair;
    return rig;
  }

  it('polls SI: moving (?) then stable readings, tares, and reads through noise before its replies', async () => {
    const { scale, driver, seen } = await setup();
    await loadAndSettle(scale, seen, 12.34);
    expect(scale.received.every((c) => c === 'SI')).toBe(true);

    const from = seen.readings.length;
    driver.command('tare');
    // Radwag's result carries no net flag: after a tare the display reads 0, shown as the weight on the pan.
    await waitFor('a zero after the tare', () => seen.readings.slice(from).some((r) => isMass(r.reading, 0, true, false)));
    expect(scale.received).toContain('T');

    scale.faults.garbageBeforeReply = Buffer.from('\x00\xff#q', 'latin1');
    await loadAndSettle(scale, seen, 5);
    scale.faults.garbageBeforeReply = undefined;
  });

  it('reports a dead balance while it keeps asking, and reads again when it answers', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 2);
    scale.faults.dead = true;
    const errorsBefore = seen.errors.length;
    const timeouts = () => seen.errors.slice(errorsBefore).filter((e) => e.reason === 'no reply to SI within 300 ms');
    await waitFor('three reply timeouts', () => timeouts().length >= 3);
    scale.faults.dead = false;
    const from = seen.readings.length;
    await waitFor('a reading from the revived balance', () => seen.readings.slice(from).some((r) => isMass(r.reading, 2, true)));
    expect(seen.errors.slice(errorsBefore).every((e) => e.reason === 'no reply to SI within 300 ms')).toBe(true);
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'radwag-pty');
  });
});

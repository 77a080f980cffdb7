import { describe, expect, it } from 'vitest';
import { createMtSicsDriver } from '../../edge-agent/drivers/mt-sics/driver.js';
import type { MtSicsConfigInput } from '../../edge-agent/drivers/mt-sics/config.js';
import type { PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedMtSicsScale } from '../../firmware-sim/mt-sics/simulated-mt-sics-scale.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('MT-SICS driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup(mtSics: MtSicsConfigInput = {}) {
    // A balance that says who it is each time it is plugged in, and answers after a few milliseconds.
    const scale = new SimulatedMtSicsScale({ intervalMs: 50, settleMs: [300, 600], bannerOnConnect: true, serial: 'B042', replyDelayMs: 5 });
    const rig = await driverOnPty(cleanups, scale, (transport) => createMtSicsDriver({ transport, mtSics: { pollMs: 50, replyTimeoutMs: 300, ...mtSics } }));
    pair = rig.pair;
    return rig;
  }

  it('polls moving then stable readings, tares, and reads through garbage', async () => {
    const { scale, driver, seen } = await setup();
    // The power-up line gives the serial too, maybe before the balance has heard anything: wait for both.
    await waitFor('the reply to @', () => driver.serialNumber === 'B042' && scale.received.length > 0);
    expect(scale.received[0]).toBe('@');
    await loadAndSettle(scale, seen, 12.34);

    const from = seen.readings.length;
    driver.command('tare');
    await waitFor('a net zero after the tare', () => seen.readings.slice(from).some((r) => isMass(r.reading, 0, true, true)));
    expect(scale.received).toContain('T');
    await loadAndSettle(scale, seen, 5, true);
    expect(seen.readings.at(-1)!.reading).toEqual({ kind: 'mass', kg: 5, stable: true, net: true, tareKg: 12.34 });

    // Line-break bytes glued before each reply cost nothing; a line of noise is one frame error.
    const errorsBefore = seen.errors.length;
    scale.faults.garbageBeforeReply = Buffer.from([0x00, 0xff]);
    scale.sendRaw('noise\r\n');
    const afterGarbage = seen.readings.length;
    await waitFor('readings through the garbage', () => seen.readings.slice(afterGarbage).filter((r) => isMass(r.reading, 5, true, true)).length >= 5);
    scale.faults.garbageBeforeReply = undefined;
    expect(seen.errors.slice(errorsBefore).map((e) => e.raw)).toEqual(['noise']);
  });

  it('streams with SIR and asks again when the stream stops', async () => {
    const { scale, seen } = await setup({ mode: 'stream' });
    await loadAndSettle(scale, seen, 3.5);
    const sirs = () => scale.received.filter((c) => c === 'SIR').length;
    // SIR once (twice when the power-up line buffered in the pty answered the @ first), and no polling.
    const asked = sirs();
    expect(scale.received.filter((c) => c === 'SI')).toEqual([]);
    scale.powerUp(); // a restart: the balance stops repeating
    const from = seen.readings.length;
    await waitFor('the stream again', () => seen.readings.length > from + 5);
    expect(sirs()).toBeGreaterThan(asked);
  });

  it('reports a dead balance while it keeps asking, and reads again when it answers', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 2);
    scale.faults.dead = true;
    const errorsBefore = seen.errors.length;
    const asked = scale.received.length;
    const timeouts = () => seen.errors.slice(errorsBefore).filter((e) => e.reason === 'no reply to SI within 300 ms');
    await waitFor('three reply timeouts', () => timeouts().length >= 3);
    expect(scale.received.length - asked).toBeGreaterThanOrEqual(3); // still polling, one request per timeout
    expect(scale.received.length - asked).toBeLessThanOrEqual(timeouts().length + 1);
    scale.faults.dead = false;
    const from = seen.readings.length;
    await waitFor('a reading from the revived balance', () => seen.readings.slice(from).some((r) => isMass(r.reading, 2, true)));
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'mt-sics-pty');
  });
});

import { describe, expect, it } from 'vitest';
import { createToledoDriver } from '../../edge-agent/drivers/toledo/driver.js';
import { parseToledoFrame } from '../../edge-agent/drivers/toledo/parser.js';
import type { PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedToledoScale } from '../../firmware-sim/toledo/simulated-toledo-scale.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('Toledo Continuous driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup() {
    // 7E1 parity bits on a port read as 8N1: the driver masks them, checksum byte included.
    const scale = new SimulatedToledoScale({ intervalMs: 50, settleMs: [300, 600], parity: 'even' });
    const rig = await driverOnPty(cleanups, scale, (transport) => createToledoDriver({ transport, toledo: { checksum: 'auto' } }));
    pair = rig.pair;
    scale.start();
    return rig;
  }

  it('receives moving then stable readings, through garbage and bad checksums, and sends a tare', async () => {
    const { scale, driver, seen } = await setup();
    await loadAndSettle(scale, seen, 12.34);
    expect(driver.checksumMode).toBe('present');

    const errorsBefore = seen.errors.length;
    scale.sendRaw(Buffer.from([0x00, 0xff, 0xff, 0x00])); // line-break garbage
    scale.sendRaw('METTLER TOLEDO IND560\r\n'); // a power-up banner
    for (const byte of [0x02, 0x0a, 0x0d, undefined]) scale.sendBadChecksum(byte);
    scale.sendRaw(Buffer.from([0x02, 0x2c, 0x30])); // a frame cut short
    // Valid frames whose checksum byte is STX, LF and CR: each must be read, and the frame after it too.
    const trapped = [0x02, 0x0a, 0x0d].map((byte) => {
      const r = parseToledoFrame(scale.sendWithChecksum(byte));
      if (!r.ok || r.reading.kind !== 'mass') throw new Error('the twin sent a bad frame');
      return r.reading.kg;
    });
    const from = seen.readings.length;
    await waitFor('stable readings after the faults', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 12.34, true)).length >= 3);
    for (const kg of trapped) expect(seen.readings.some((r) => isMass(r.reading, kg, true)), `${kg} kg`).toBe(true);
    // Garbage and bad frames between two good frames make one report, named after the first bad checksum.
    const faults = seen.errors.slice(errorsBefore);
    expect(faults.length).toBeGreaterThanOrEqual(1);
    expect(faults.length).toBeLessThanOrEqual(6);
    expect(faults.some((e) => /checksum mismatch/.test(e.reason))).toBe(true);
    expect(faults.some((e) => e.raw.includes('METTLER TOLEDO IND560<0D><0A>'))).toBe(true);

    const before = seen.readings.length;
    driver.command('tare');
    await waitFor('a net zero after tare', () => seen.readings.slice(before).some((r) => isMass(r.reading, 0, true, true)));
    await loadAndSettle(scale, seen, 5, true);
    const last = seen.readings.at(-1)!.reading;
    expect(last.kind === 'mass' && last.tareKg).toBe(12.34);
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'toledo-pty', 3_000);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { transportSchema } from '../../edge-agent/transport/config.js';
import { createToledoDriver } from '../../edge-agent/drivers/toledo/driver.js';
import { parseToledoFrame } from '../../edge-agent/drivers/toledo/parser.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedToledoScale } from '../../firmware-sim/toledo/simulated-toledo-scale.js';
import { isMass, waitUntil, watchDriver, type DriverWatch } from '../helpers/scale-driver.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Loads `kg`, and checks that moving readings come first, then the exact stable weight. */
async function loadAndSettle(scale: SimulatedToledoScale, seen: DriverWatch, kg: number, net = false): Promise<void> {
  const from = seen.readings.length;
  scale.load(kg);
  await waitUntil(`a stable ${kg} kg reading`, () => seen.readings.slice(from).some((r) => isMass(r.reading, kg, true, net)));
  const after = seen.readings.slice(from).map((r) => r.reading);
  const firstStable = after.findIndex((r) => isMass(r, kg, true, net));
  expect(after.slice(0, firstStable).some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
}

describe('Toledo Continuous driver over a socat pty pair', () => {
  let pair: PtyPair;

  async function setup() {
    pair = await createPtyPair();
    cleanups.push(() => pair.close());
    // 7E1 parity bits on a port read as 8N1: the driver masks them, checksum byte included.
    const scale = new SimulatedToledoScale({ intervalMs: 50, settleMs: [300, 600], parity: 'even' });
    cleanups.push(() => scale.stop());
    await pair.attach(scale);
    // As the agent builds it from a device config.
    const driver = createToledoDriver({ transport: transportSchema.parse({ type: 'serial', path: pair.devicePath }), toledo: { checksum: 'auto' } });
    cleanups.push(() => driver.stop());
    const seen = watchDriver(driver);
    driver.start();
    await waitUntil('the port to open', () => seen.links.some((l) => l.state === 'open'));
    scale.start();
    return { scale, driver, seen };
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
    await waitUntil('stable readings after the faults', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 12.34, true)).length >= 3);
    for (const kg of trapped) expect(seen.readings.some((r) => isMass(r.reading, kg, true)), `${kg} kg`).toBe(true);
    // Garbage and bad frames between two good frames make one report, named after the first bad checksum.
    const faults = seen.errors.slice(errorsBefore);
    expect(faults.length).toBeGreaterThanOrEqual(1);
    expect(faults.length).toBeLessThanOrEqual(6);
    expect(faults.some((e) => /checksum mismatch/.test(e.reason))).toBe(true);
    expect(faults.some((e) => e.raw.includes('METTLER TOLEDO IND560<0D><0A>'))).toBe(true);

    const before = seen.readings.length;
    driver.command('tare');
    await waitUntil('a net zero after tare', () => seen.readings.slice(before).some((r) => isMass(r.reading, 0, true, true)));
    await loadAndSettle(scale, seen, 5, true);
    const last = seen.readings.at(-1)!.reading;
    expect(last.kind === 'mass' && last.tareKg).toBe(12.34);
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    await loadAndSettle(scale, seen, 8.5);

    await pair.unplug();
    await waitUntil('the driver to report the close', () => seen.links.at(-1)?.state === 'closed');
    expect(seen.links.at(-1)!.detail).toMatch(/disconnected|cannot open|closed/);
    await new Promise((r) => setTimeout(r, 1_000)); // the cable stays out a second

    const replugAt = Date.now();
    const readingsBefore = seen.readings.length;
    await pair.replug();
    await waitUntil('a reading after the replug', () => seen.readings.length > readingsBefore, 3_000);
    const recoveryMs = seen.readings[readingsBefore]!.at - replugAt;
    console.log(`[toledo-pty] serial replug → first reading: ${recoveryMs} ms`);
    expect(recoveryMs).toBeLessThan(3_000);
    expect(seen.links.at(-1)!.state).toBe('open');
    await waitUntil('the stable weight again', () => seen.readings.slice(readingsBefore).some((r) => isMass(r.reading, 8.5, true)), 3_000);
  });
});

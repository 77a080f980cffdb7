import { afterEach, describe, expect, it } from 'vitest';
import { createSartoriusDriver } from '../../edge-agent/drivers/sartorius/driver.js';
import { transportSchema } from '../../edge-agent/transport/config.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedSartoriusScale } from '../../firmware-sim/sartorius/simulated-sartorius-scale.js';
import type { SartoriusConfigInput } from '../../edge-agent/drivers/sartorius/config.js';
import { isMass, waitUntil, watchDriver, type DriverWatch } from '../helpers/scale-driver.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Loads `kg`, and checks that moving readings come first, then the exact stable weight. */
async function loadAndSettle(scale: SimulatedSartoriusScale, seen: DriverWatch, kg: number, net = false): Promise<void> {
  const from = seen.readings.length;
  scale.load(kg);
  await waitUntil(`a stable ${kg} kg reading`, () => seen.readings.slice(from).some((r) => isMass(r.reading, kg, true, net)));
  const after = seen.readings.slice(from).map((r) => r.reading);
  const firstStable = after.findIndex((r) => isMass(r, kg, true, net));
  expect(after.slice(0, firstStable).some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
}

describe('Sartorius SBI driver over a socat pty pair', () => {
  let pair: PtyPair;

  /** A 22-character SBI balance on 7O1 (parity bits on a port read as 8N1), auto printing unless `polled`. */
  async function setup(sartorius: SartoriusConfigInput = {}, polled = false) {
    pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const scale = new SimulatedSartoriusScale({ intervalMs: 50, settleMs: [300, 600], parity: 'odd', idCodes: true });
    cleanups.push(() => scale.stop());
    await pair.attach(scale);
    // As the agent builds it from a device config.
    const driver = createSartoriusDriver({ transport: transportSchema.parse({ type: 'serial', path: pair.devicePath }), sartorius });
    cleanups.push(() => driver.stop());
    const seen = watchDriver(driver);
    driver.start();
    await waitUntil('the port to open', () => seen.links.some((l) => l.state === 'open'));
    if (!polled) scale.start();
    return { scale, driver, seen };
  }

  it('receives moving then stable readings, through garbage, and sends a tare', async () => {
    const { scale, driver, seen } = await setup({ unit: 'kg' });
    await loadAndSettle(scale, seen, 12.34);

    const errorsBefore = seen.errors.length;
    scale.sendRaw(Buffer.from([0x00, 0xff, 0x0d, 0x0a])); // line-break garbage on its own line
    scale.sendRaw('SARTORIUS\r\nENTRIS224I-1S     V 01.02\r\n'); // a power-up banner
    scale.sendRaw('Stat     ERR 054    \r\n'); // an error line
    scale.sendRaw('G#    +    1'); // a frame cut short, glued to the next one
    scale.sendRaw(Buffer.from([0x00, 0xff]));
    const from = seen.readings.length;
    await waitUntil('readings after the garbage', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 12.34, true)).length >= 3);
    const faults = seen.errors.slice(errorsBefore);
    expect(faults.map((e) => e.raw)).toEqual(expect.arrayContaining(['<00><7F>', 'SARTORIUS', 'Stat     ERR 054    ']));
    expect(faults.length).toBeLessThanOrEqual(5);

    const before = seen.readings.length;
    driver.command('tare');
    await waitUntil('a net zero after tare', () => seen.readings.slice(before).some((r) => isMass(r.reading, 0, true, true)));
    expect(scale.commands).toEqual(['T']);
    await loadAndSettle(scale, seen, 5, true);
  });

  it('polls a balance that prints only when asked', async () => {
    const { scale, seen } = await setup({ printOnConnect: true, pollMs: 100 }, true);
    await waitUntil('the answer to the print on connect', () => seen.readings.length >= 1);
    await loadAndSettle(scale, seen, 3.5);
    expect(scale.commands.length).toBeGreaterThanOrEqual(3);
    expect(new Set(scale.commands)).toEqual(new Set(['P']));
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    // No unit configured: moving frames carry none, so the driver learns it from a first stable frame.
    await waitUntil('a first stable frame', () => seen.readings.some((r) => isMass(r.reading, 0, true)));
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
    console.log(`[sartorius-pty] serial replug → first reading: ${recoveryMs} ms`);
    expect(recoveryMs).toBeLessThan(3_000);
    expect(seen.links.at(-1)!.state).toBe('open');
    await waitUntil('the stable weight again', () => seen.readings.slice(readingsBefore).some((r) => isMass(r.reading, 8.5, true)), 3_000);
  });
});

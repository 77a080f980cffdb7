import { describe, expect, it } from 'vitest';
import { createSartoriusDriver } from '../../edge-agent/drivers/sartorius/driver.js';
import type { PtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedSartoriusScale } from '../../firmware-sim/sartorius/simulated-sartorius-scale.js';
import type { SartoriusConfigInput } from '../../edge-agent/drivers/sartorius/config.js';
import { cleanupsAfterEach, driverOnPty, isMass, loadAndSettle, unplugAndReplug } from '../helpers/scale-driver.js';
import { waitFor } from '../helpers/wait.js';

const cleanups = cleanupsAfterEach();

describe('Sartorius SBI driver over a socat pty pair', () => {
  let pair: PtyPair;

  /** A 22-character SBI balance on 7O1 (parity bits on a port read as 8N1), auto printing unless `polled`. */
  async function setup(sartorius: SartoriusConfigInput = {}, polled = false) {
    const scale = new SimulatedSartoriusScale({ intervalMs: 50, settleMs: [300, 600], parity: 'odd', idCodes: true });
    const rig = await driverOnPty(cleanups, scale, (transport) => createSartoriusDriver({ transport, sartorius }));
    pair = rig.pair;
    if (!polled) scale.start();
    return rig;
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
    await waitFor('readings after the garbage', () => seen.readings.slice(from).filter((r) => isMass(r.reading, 12.34, true)).length >= 3);
    const faults = seen.errors.slice(errorsBefore);
    expect(faults.map((e) => e.raw)).toEqual(expect.arrayContaining(['<00><7F>', 'SARTORIUS', 'Stat     ERR 054    ']));
    expect(faults.length).toBeLessThanOrEqual(5);

    const before = seen.readings.length;
    driver.command('tare');
    await waitFor('a net zero after tare', () => seen.readings.slice(before).some((r) => isMass(r.reading, 0, true, true)));
    expect(scale.commands).toEqual(['T']);
    await loadAndSettle(scale, seen, 5, true);
  });

  it('polls a balance that prints only when asked', async () => {
    const { scale, seen } = await setup({ printOnConnect: true, pollMs: 100 }, true);
    await waitFor('the answer to the print on connect', () => seen.readings.length >= 1);
    await loadAndSettle(scale, seen, 3.5);
    expect(scale.commands.length).toBeGreaterThanOrEqual(3);
    expect(new Set(scale.commands)).toEqual(new Set(['P']));
  });

  it('reports an unplug and reads again after a replug, without a new driver', async () => {
    const { scale, seen } = await setup();
    // No unit configured: moving frames carry none, so the driver learns it from a first stable frame.
    await waitFor('a first stable frame', () => seen.readings.some((r) => isMass(r.reading, 0, true)));
    await loadAndSettle(scale, seen, 8.5);
    await unplugAndReplug(pair, seen, 8.5, 'sartorius-pty', 3_000);
  });
});

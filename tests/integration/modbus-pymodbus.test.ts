import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusScaleDriver } from '../../edge-agent/drivers/modbus-scale/driver.js';
import type { FrameError, ScaleReading } from '../../edge-agent/drivers/scale.js';
import { createModbusBus } from '../../edge-agent/modbus/modbus-bus.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const SERVER = join(import.meta.dirname, '../helpers/pymodbus-server.py');
const UNIT = 7;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Debian's pymodbus serving `registers` (holding and input alike) as unit 7 on a free loopback port. */
async function pymodbus(registers: Record<number, number>): Promise<number> {
  const port = await freePort();
  // Debian's own Python: pymodbus is its package, not a pip install.
  const child = spawn('/usr/bin/python3', [SERVER, String(port), String(UNIT), JSON.stringify(registers)], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('pymodbus to listen', () => {
    if (child.exitCode !== null) throw new Error(`pymodbus exited: ${out}`);
    return out.includes('ready');
  });
  return port;
}

/** The preset's driver polling the pymodbus server, until it reported `count` readings or frame errors. */
async function poll(preset: string, port: number, decimals?: number) {
  const bus = createModbusBus({ id: 'ligne-1', transport: { type: 'tcp', host: '127.0.0.1', port }, timeoutMs: 1000 });
  cleanups.push(() => bus.stop());
  const driver = new ModbusScaleDriver(bus.slave(UNIT, 'balance'), { preset, pollMs: 50, ...(decimals === undefined ? {} : { decimals }) });
  const seen = { readings: [] as ScaleReading[], errors: [] as FrameError[] };
  driver.on('reading', (r) => seen.readings.push(r));
  driver.on('frameError', (e) => seen.errors.push(e));
  cleanups.push(() => driver.stop());
  driver.start();
  bus.start();
  await waitFor('three polls answered', () => seen.readings.length + seen.errors.length >= 3);
  return seen;
}

const u32 = (v: number) => [Math.floor((v >>> 0) / 65536), (v >>> 0) % 65536] as const;

/**
 * The presets' status bits read from a Modbus server that is not ours (pymodbus, python3-pymodbus): the
 * words are laid out here by hand from the manuals, not by our twin, so that a twin and a driver wrong in
 * the same way cannot agree.
 */
describe('Modbus status bits through pymodbus', () => {
  it('HBM WTX: a general weight error is a device error, never a weight; the net bit says net', async () => {
    // Words: HBM Weighing API (leistner/Weighing-API, WTXModbus.cs): 0–1 net, 2–3 gross, 4 status, 5 decimals/unit.
    const fault = await poll('hbm-wtx', await pymodbus({ 4: 1 << 0, 5: 2 << 4 }));
    expect(fault.readings).toEqual([]);
    expect(fault.errors[0]!.reason).toMatch(/the indicator reports a fault: general weight error \(register 4 bit 0\)/);

    const safeLoad = await poll('hbm-wtx', await pymodbus({ 4: 3 << 2, 5: 2 << 4 }));
    expect(safeLoad.readings).toEqual([]);
    expect(safeLoad.errors[0]!.reason).toMatch(/higher than the safe load limit/);

    const [netHi, netLo] = u32(-1234);
    const [grossHi, grossLo] = u32(10_000);
    const net = await poll('hbm-wtx', await pymodbus({ 0: netHi, 1: netLo, 2: grossHi, 3: grossLo, 4: 1 << 7, 5: 2 << 4 }));
    expect(net.errors).toEqual([]);
    expect(net.readings[0]).toEqual({ kind: 'mass', kg: -12.34, stable: true, net: true, tareKg: 112.34 });
  });

  it('Laumas TLU: a load cell error is a device error; the net display bit, not gross ≠ net, says net', async () => {
    // 40007 status (register 6), 40008–40011 gross and net (7–10); bits of the Laumas status register.
    const fault = await poll('laumas-tlu', await pymodbus({ 6: (1 << 0) | (1 << 11) }), 2);
    expect(fault.readings).toEqual([]);
    expect(fault.errors[0]!.reason).toMatch(/load cell error/);

    const gross = await poll('laumas-tlu', await pymodbus({ 6: 1 << 11, 7: 0, 8: 1500, 9: 0, 10: 300 }), 2);
    expect(gross.readings[0]).toEqual({ kind: 'mass', kg: 15, stable: true, net: false });
    const net = await poll('laumas-tlu', await pymodbus({ 6: (1 << 11) | (1 << 10), 7: 0, 8: 1500, 9: 0, 10: 300 }), 2);
    expect(net.readings[0]).toEqual({ kind: 'mass', kg: 3, stable: true, net: true, tareKg: 12 });
  });
});

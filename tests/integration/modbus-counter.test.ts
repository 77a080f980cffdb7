import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CounterDeltas } from '../../edge-agent/counters/counter-deltas.js';
import type { CounterReading } from '../../edge-agent/drivers/counter.js';
import type { ModbusCounterOptionsInput } from '../../edge-agent/drivers/modbus-counter/config.js';
import { ModbusCounterDriver } from '../../edge-agent/drivers/modbus-counter/driver.js';
import type { ModbusBusConfigInput } from '../../edge-agent/modbus/config.js';
import { createModbusBus } from '../../edge-agent/modbus/modbus-bus.js';
import { createPtyPair } from '../../firmware-sim/common/pty-pair.js';
import { SimulatedModbusCounter } from '../../firmware-sim/modbus/counter.js';
import { serveModbusRtu, serveModbusTcp } from '../../firmware-sim/modbus/servers.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});


/** Advantech ADAM-style: 32-bit counts, low word first, in input registers 30001–02 (in) and 30003–04 (out). */
const ADAM: ModbusCounterOptionsInput = {
  pollMs: 100,
  in: { register: 0, kind: 'input', type: 'uint32', wordOrder: 'CDAB' },
  out: { register: 2, kind: 'input', type: 'uint32', wordOrder: 'CDAB' },
};
/** A 16-bit counter in holding registers 40011 (in) and 40012 (out). */
const SIXTEEN: ModbusCounterOptionsInput = { pollMs: 100, in: { register: 10, type: 'uint16' }, out: { register: 11, type: 'uint16' } };

/** The counter twin, its driver on a bus, and the deltas the agent would compute from each reading. */
async function setup(layout: ModbusCounterOptionsInput, via: 'tcp' | 'rtu') {
  const twin = new SimulatedModbusCounter({ in: layout.in, out: layout.out });
  const units = new Map([[3, twin]]);
  let transport: ModbusBusConfigInput['transport'];
  let mbpoll: string[];
  if (via === 'tcp') {
    const port = await freePort();
    const server = await serveModbusTcp(units, { port });
    cleanups.push(() => server.close());
    transport = { type: 'tcp', host: '127.0.0.1', port };
    mbpoll = ['-m', 'tcp', '-p', String(port), '127.0.0.1'];
  } else {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const server = await serveModbusRtu(pair.simPath, units);
    cleanups.push(() => server.close());
    transport = { type: 'rtu', path: pair.devicePath };
    mbpoll = ['-m', 'rtu', '-b', '9600', '-P', 'none', pair.devicePath];
  }
  const bus = createModbusBus({ id: 'portes', transport });
  cleanups.push(() => bus.stop());
  const driver = new ModbusCounterDriver(bus.slave(3, 'porte-entree'), layout);
  const readings: CounterReading[] = [];
  const deltas = new CounterDeltas();
  const total = { in: 0, out: 0 };
  driver.on('counts', (r) => {
    readings.push(r);
    const d = deltas.next(r);
    if (d.kind === 'deltas') {
      total.in += d.in;
      total.out += d.out;
    }
  });
  const errors: string[] = [];
  driver.on('frameError', (e) => errors.push(e.reason));
  const start = () => {
    driver.start();
    bus.start();
  };
  /** Waits for a reading showing the twin's current counts. */
  const seen = (what: string) => waitFor(what, () => readings.at(-1)?.in === twin.in && readings.at(-1)?.out === twin.out);
  return { twin, start, readings, total, errors, seen, mbpoll };
}

describe('Modbus door counter: its twin, its driver, wrap and reset', () => {
  it('ADAM layout (32-bit, low word first) over RTU: mbpoll sees reg1 = low word, the driver counts through 2^32', async () => {
    const s = await setup(ADAM, 'rtu');
    s.twin.set({ in: 0x0001_fffe, out: 7 });
    // Checked by an independent client before the bus opens the line.
    const { stdout } = await run('mbpoll', ['-a', '3', '-r', '1', '-c', '4', '-t', '3:hex', '-1', '-o', '1', ...s.mbpoll], { timeout: 10_000 });
    expect([...stdout.matchAll(/^\[\d+\]:\s+0x([0-9A-F]{4})/gim)].map((m) => parseInt(m[1]!, 16))).toEqual([0xfffe, 0x0001, 7, 0]);

    s.twin.set({ in: 2 ** 32 - 3, out: 7 });
    s.start();
    await s.seen('the first reading');
    expect(s.readings.at(-1)).toEqual({ in: 2 ** 32 - 3, out: 7, modulo: 2 ** 32 });
    s.twin.enter(2);
    await s.seen('just below the wrap');
    s.twin.enter(3); // 2^32 - 1 → 2
    s.twin.leave(1);
    await s.seen('past the wrap');
    expect(s.readings.at(-1)).toEqual({ in: 2, out: 8, modulo: 2 ** 32 });
    expect(s.total).toEqual({ in: 5, out: 1 });
    expect(s.errors).toEqual([]);
  });

  it('16-bit holding registers over TCP: rolls over 65535 → 0, then a power cut resets it', async () => {
    const s = await setup(SIXTEEN, 'tcp');
    s.twin.set({ in: 65_530, out: 100 });
    s.start();
    await s.seen('the first reading');
    for (let i = 0; i < 10; i++) {
      s.twin.enter();
      if (i % 3 === 0) await s.seen(`in = ${s.twin.in}`);
    }
    await s.seen('past the wrap');
    expect(s.readings.at(-1)).toEqual({ in: 4, out: 100, modulo: 65_536 });
    expect(s.readings.some((r) => r.in > 60_000) && s.readings.some((r) => r.in < 10)).toBe(true);
    expect(s.total).toEqual({ in: 10, out: 0 });

    s.twin.powerCycle();
    await s.seen('the reset');
    s.twin.enter(2);
    s.twin.leave(1);
    await s.seen('counting again from 0');
    // The reset is believed once the next reading counts on from it: nothing lost, nothing doubled.
    await waitFor('the reset confirmed', () => s.total.in === 12 && s.total.out === 1);
    expect(s.errors).toEqual([]);
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusScaleDriver } from '../../edge-agent/drivers/modbus-scale/driver.js';
import { listScalePresets, loadScalePreset } from '../../edge-agent/drivers/modbus-scale/presets.js';
import type { FrameError, LinkState, ScaleReading } from '../../edge-agent/drivers/scale.js';
import type { ModbusBusConfigInput } from '../../edge-agent/modbus/config.js';
import { createModbusBus } from '../../edge-agent/modbus/modbus-bus.js';
import { planReads, type RegisterSpan } from '../../edge-agent/modbus/register-map.js';
import { createPtyPair } from '../../firmware-sim/common/pty-pair.js';
import { serveModbusRtu, serveModbusTcp } from '../../firmware-sim/modbus/servers.js';
import { SimulatedModbusIndicator } from '../../firmware-sim/modbus/weighing-indicator.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const UNIT = 7;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});


/** The twin of `preset` served as unit 7 over Modbus TCP (ServerTCP) or RTU on a socat pty (ServerSerial). */
async function serveTwin(preset: string, via: 'tcp' | 'rtu') {
  // Settling lasts long enough for a poll to see the load moving even on a loaded CI machine, where one RTU
  // poll cycle has taken over 400 ms (the moving-then-stable check failed once at [200, 400]).
  const twin = new SimulatedModbusIndicator({ preset, decimals: 2, settleMs: [700, 1000] });
  const units = new Map([[UNIT, twin]]);
  if (via === 'tcp') {
    const port = await freePort();
    const server = await serveModbusTcp(units, { port });
    cleanups.push(() => server.close());
    return { twin, transport: { type: 'tcp', host: '127.0.0.1', port } as const, mbpoll: ['-m', 'tcp', '-p', String(port), '127.0.0.1'] };
  }
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  const server = await serveModbusRtu(pair.simPath, units);
  cleanups.push(() => server.close());
  return { twin, transport: { type: 'rtu', path: pair.devicePath } as const, mbpoll: ['-m', 'rtu', '-b', '9600', '-P', 'none', pair.devicePath] };
}

/** Reads a span with Debian's mbpoll, an independent Modbus client. */
async function mbpoll(target: string[], span: RegisterSpan): Promise<number[]> {
  const args = ['-a', String(UNIT), '-r', String(span.register + 1), '-c', String(span.count), '-t', span.kind === 'input' ? '3:hex' : '4:hex', '-1', '-o', '1'];
  const { stdout } = await run('mbpoll', [...args, ...target.slice(0, -1), target.at(-1)!], { timeout: 10_000 });
  return [...stdout.matchAll(/^\[(\d+)\]:\s+0x([0-9A-F]{4})/gim)].map((m) => parseInt(m[2]!, 16));
}

function watch(driver: ModbusScaleDriver) {
  const seen = { readings: [] as ScaleReading[], raws: [] as string[], errors: [] as FrameError[], links: [] as LinkState[] };
  driver.on('reading', (r, raw) => {
    seen.readings.push(r);
    seen.raws.push(raw);
  });
  driver.on('frameError', (e) => seen.errors.push(e));
  driver.on('link', (s) => seen.links.push(s));
  return seen;
}

const isMass = (r: ScaleReading | undefined, kg: number, stable: boolean, net: boolean) => r?.kind === 'mass' && r.kg === kg && r.stable === stable && r.net === net;

describe.each(listScalePresets())('preset %s and its twin', (preset) => {
  const map = loadScalePreset(preset);

  it.each(['tcp', 'rtu'] as const)('the twin answers mbpoll over %s as its map says', async (via) => {
    const { twin, mbpoll: target } = await serveTwin(preset, via);
    twin.load(12.34);
    await new Promise((r) => setTimeout(r, 1050)); // settled
    for (const span of planReads(
      Object.values(map.fields).flatMap((f) => (f ? [{ kind: f.kind ?? map.kind, register: f.register, count: 2 }] : [])),
      map.maxRegistersPerRequest,
    )) {
      expect(await mbpoll(target, span), `${span.kind} ${span.register}+${span.count}`).toEqual(twin.read(span.kind, span.register, span.count));
    }
  });

  it.each(['tcp', 'rtu'] as const)('its driver reads it over %s: moving then stable, tare, net, negative, overload', async (via) => {
    const { twin, transport } = await serveTwin(preset, via);
    const bus = createModbusBus({ id: 'ligne-1', transport, timeoutMs: 300 } satisfies ModbusBusConfigInput);
    cleanups.push(() => bus.stop());
    const driver = new ModbusScaleDriver(bus.slave(UNIT, 'balance'), { preset, pollMs: 50, ...(map.decimals === 'config' ? { decimals: 2 } : {}) });
    const seen = watch(driver);
    driver.start();
    bus.start();
    await waitFor('the link to open', () => seen.links.includes('open'));
    const last = () => seen.readings.at(-1);
    const tare = async () => {
      if (map.commands.tare) driver.command('tare');
      else twin.model.tare(); // no command in this preset: the operator presses TARE
      await waitFor('a net zero', () => isMass(last(), 0, true, true));
    };

    const from = seen.readings.length;
    twin.load(12.34);
    await waitFor('a stable 12.34 kg', () => isMass(last(), 12.34, true, false));
    expect(seen.readings.slice(from).some((r) => r.kind === 'mass' && !r.stable)).toBe(true);
    expect(seen.raws.at(-1)).toMatch(/^(input|holding) \d+: [0-9A-F]{4}( [0-9A-F]{4})+/);

    await tare();
    twin.load(2.5);
    await waitFor('a stable net 2.5 kg', () => isMass(last(), 2.5, true, true));
    expect(last()).toMatchObject({ tareKg: 12.34 });
    if (map.commands.tare) {
      // A second tare in a row: the rearm write lets the indicator see it.
      await tare();
      expect(twin.commands).toEqual(['tare', 'tare']);
    }
    twin.unload();
    const expectedNegative = map.commands.tare ? -14.84 : -12.34;
    await waitFor(`a stable net ${expectedNegative} kg`, () => isMass(last(), expectedNegative, true, true));
    if (map.commands.zero) {
      driver.command('zero');
      await waitFor('a gross zero', () => isMass(last(), 0, true, false));
    }
    twin.model.setOverload(true);
    await waitFor('overload', () => last()?.kind === 'overload');
    expect(seen.errors).toEqual([]);

    // Each fault the map knows: a device error while it lasts, never a reading.
    twin.model.setOverload(false);
    for (const fault of map.errors) {
      twin.setFault(fault.reason);
      const before = seen.errors.length;
      await waitFor(`the fault « ${fault.reason} »`, () => seen.errors.slice(before).some((e) => e.reason.includes(fault.reason)));
      const readingsDuring = seen.readings.length;
      const errorsDuring = seen.errors.length;
      await waitFor('another poll', () => seen.errors.length > errorsDuring);
      expect(seen.readings.length).toBe(readingsDuring);
      twin.setFault(undefined);
      await waitFor('weights again', () => seen.readings.length > readingsDuring);
    }
  });
});

describe('a scale map given inline (generic)', () => {
  it('reads a float32 indicator, low word first, with its own stable bit', async () => {
    const map = {
      description: 'Eagle-like indicator',
      kind: 'holding',
      fields: { gross: { register: 0x1000, type: 'float32', wordOrder: 'CDAB' }, net: { register: 0x1008, type: 'float32', wordOrder: 'CDAB' } },
      decimals: 2,
      flags: { stable: { register: 0x1020, bit: 0 }, net: { register: 0x1020, bit: 1 } },
    } as const;
    const twin = new SimulatedModbusIndicator({ map, decimals: 2, settleMs: [100, 200] });
    const port = await freePort();
    const server = await serveModbusTcp(new Map([[1, twin]]), { port });
    cleanups.push(() => server.close());
    const bus = createModbusBus({ id: 'eagle', transport: { type: 'tcp', host: '127.0.0.1', port } });
    cleanups.push(() => bus.stop());
    const driver = new ModbusScaleDriver(bus.slave(1, 'eagle'), { map, pollMs: 50 });
    const seen = watch(driver);
    driver.start();
    bus.start();
    twin.load(23.45);
    await waitFor('a stable 23.45 kg', () => isMass(seen.readings.at(-1), 23.45, true, false));
    // Three requests: the two floats and the status are apart, and gaps are never bridged.
    expect(seen.raws.at(-1)!.split(' | ')).toHaveLength(3);
    driver.command('tare');
    await waitFor('the missing command reported', () => seen.errors.some((e) => /tare: no such command/.test(e.reason)));
  });

  it('a handshake command (HBM style, command word checked by the user): write, wait for the bit, clear', async () => {
    const map = { ...loadScalePreset('hbm-wtx'), commands: { tare: { register: 100, value: 2, handshake: { register: 5, bit: 14 } } } };
    const twin = new SimulatedModbusIndicator({ map, decimals: 2, settleMs: [50, 100] });
    const port = await freePort();
    const server = await serveModbusTcp(new Map([[1, twin]]), { port });
    cleanups.push(() => server.close());
    const bus = createModbusBus({ id: 'wtx', transport: { type: 'tcp', host: '127.0.0.1', port } });
    cleanups.push(() => bus.stop());
    const driver = new ModbusScaleDriver(bus.slave(1, 'wtx'), { map, pollMs: 50 });
    const seen = watch(driver);
    driver.start();
    bus.start();
    twin.load(8);
    await waitFor('a stable 8 kg', () => isMass(seen.readings.at(-1), 8, true, false));
    driver.command('tare');
    await waitFor('a net zero', () => isMass(seen.readings.at(-1), 0, true, true));
    await waitFor('the command word cleared', () => twin.read('holding', 100, 1)[0] === 0);
    twin.load(1);
    await waitFor('a stable net 1 kg', () => isMass(seen.readings.at(-1), 1, true, true));
    driver.command('tare');
    await waitFor('a second net zero', () => isMass(seen.readings.at(-1), 0, true, true));
    expect(twin.commands).toEqual(['tare', 'tare']);
    expect(seen.errors).toEqual([]);
  });
});

import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ModbusIo, ModbusSlave, ModbusSlaveEvents, SlaveState } from '../../modbus/bus.js';
import type { RegisterImage } from '../../modbus/register-map.js';
import type { FrameError, LinkState, ScaleReading } from '../scale.js';
import { modbusScaleConfigSchema } from './config.js';
import { decodeScale, ModbusScaleDriver, ScaleFaultError } from './driver.js';
import { listScalePresets, loadScalePreset, ScalePresetError, scaleMapSchema } from './presets.js';

const mass = (kg: number, stable = true, net = false, tareKg?: number): ScaleReading => ({
  kind: 'mass',
  kg,
  stable,
  net,
  ...(tareKg === undefined ? {} : { tareKg }),
});

/** A register image: `input` and `holding` tables from address → value pairs. */
function image(tables: { input?: Record<number, number>; holding?: Record<number, number> }): RegisterImage {
  const toArray = (t: Record<number, number> = {}) => Object.entries(t).reduce<number[]>((a, [k, v]) => ((a[Number(k)] = v), a), []);
  return { input: toArray(tables.input), holding: toArray(tables.holding) };
}

describe('presets', () => {
  it('are the three products, each valid', () => {
    expect(listScalePresets()).toEqual(['dini-argeo-dgt4x', 'hbm-wtx', 'laumas-tlu']);
    for (const name of listScalePresets()) expect(() => loadScalePreset(name)).not.toThrow();
    expect(loadScalePreset('laumas-tlu').maxRegistersPerRequest).toBe(32);
    expect(loadScalePreset('dini-argeo-dgt4x').commands).toEqual({
      zero: { register: 0, value: 1, rearm: 0 },
      tare: { register: 0, value: 2, rearm: 0 },
    });
  });

  it('a bad preset is an error naming the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presets-'));
    try {
      writeFileSync(join(dir, 'typo.yaml'), 'kind: input\nfields:\n  gross: { register: 0, type: uint32, wordorder: CDAB }\ndecimals: 2\nflags: { stable: { register: 4, bit: 2 } }\n');
      writeFileSync(join(dir, 'broken.yaml'), 'fields: [\n');
      writeFileSync(join(dir, 'unstable.yaml'), 'fields:\n  gross: { register: 0, type: int32 }\ndecimals: 2\nflags: {}\n');
      expect(() => loadScalePreset('typo', dir)).toThrow(ScalePresetError);
      expect(() => loadScalePreset('typo', dir)).toThrow(/typo\.yaml: fields\.gross: Unrecognized key: "wordorder"/);
      expect(() => loadScalePreset('broken', dir)).toThrow(/broken\.yaml: not valid YAML/);
      expect(() => loadScalePreset('unstable', dir)).toThrow(/unstable\.yaml: flags: a scale map needs a `stable` or a `moving` flag/);
      expect(() => loadScalePreset('absent', dir)).toThrow(/unknown Modbus scale preset "absent"; presets: broken, typo, unstable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('modbusScaleConfigSchema', () => {
  const base = { bus: 'ligne-1', unitId: 3 };
  it('fills defaults and asks for what only the indicator knows', () => {
    expect(modbusScaleConfigSchema.parse({ ...base, preset: 'hbm-wtx' })).toEqual({ ...base, preset: 'hbm-wtx', pollMs: 200 });
    const noDecimals = modbusScaleConfigSchema.safeParse({ ...base, preset: 'dini-argeo-dgt4x' });
    expect(noDecimals.error?.issues).toMatchObject([{ path: ['decimals'], message: expect.stringMatching(/preset dini-argeo-dgt4x takes the decimals from the indicator's setup/) }]);
  });

  it.each<[string, object, RegExp]>([
    ['neither preset nor map', {}, /exactly one of preset \(dini-argeo-dgt4x, hbm-wtx, laumas-tlu\) or map/],
    ['both', { preset: 'hbm-wtx', map: { fields: { gross: { register: 0, type: 'int32' } }, decimals: 0, flags: { stable: { register: 2, bit: 0 } } } }, /exactly one/],
    ['an unknown preset', { preset: 'mettler-ind780' }, /unknown Modbus scale preset "mettler-ind780"/],
    ['a unit id out of the RTU range', { preset: 'hbm-wtx', unitId: 248 }, /<=247/],
    ['an unknown key', { preset: 'hbm-wtx', unit: 2 }, /Unrecognized key/],
  ])('refuses %s', (_name, extra, message) => {
    const result = modbusScaleConfigSchema.safeParse({ ...base, ...extra });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});

describe('decodeScale: golden registers of each preset', () => {
  const dgt = loadScalePreset('dini-argeo-dgt4x');
  const laumas = loadScalePreset('laumas-tlu');
  const hbm = loadScalePreset('hbm-wtx');
  // DGT4X: 30001–02 gross, 30003–04 net (absolute), 30005 b0 net−, b1 gross−, b2 stable, b3 under, b4 over, b5 tare.
  const dgtRegs = (gross: number, net: number, status: number) =>
    image({ input: { 0: gross >>> 16, 1: gross & 0xffff, 2: net >>> 16, 3: net & 0xffff, 4: status } });
  // Laumas: 40007 status (b7 gross−, b8 net−, b11 stable, b2/b3 over), 40008–09 gross, 40010–11 net.
  const laumasRegs = (gross: number, net: number, status: number) =>
    image({ holding: { 6: status, 7: gross >>> 16, 8: gross & 0xffff, 9: net >>> 16, 10: net & 0xffff } });
  // HBM: words 0–1 net, 2–3 gross (int32), 4 status (b4 moving, b2–3 limit), 5 (b4–6 decimals, b7–8 unit).
  const hbmRegs = (net: number, gross: number, status: number, decimals: number, unit: number) =>
    image({ holding: { 0: (net >>> 16) & 0xffff, 1: net & 0xffff, 2: (gross >>> 16) & 0xffff, 3: gross & 0xffff, 4: status, 5: (decimals << 4) | (unit << 7) } });

  it.each<[string, RegisterImage, ScaleReading]>([
    ['gross, stable', dgtRegs(1234, 1234, 0b000100), mass(12.34)],
    ['gross, moving', dgtRegs(1234, 1234, 0b000000), mass(12.34, false)],
    ['net negative after a tare', dgtRegs(1234, 500, 0b100101), mass(-5, true, true, 17.34)],
    ['gross negative (sign bit 1)', dgtRegs(250, 250, 0b000110), mass(-2.5)],
    ['overload, whatever the digits say', dgtRegs(999_999, 0, 0b010100), { kind: 'overload' }],
    ['underload', dgtRegs(0, 0, 0b001000), { kind: 'underload' }],
    ['a 32-bit weight past 65535', dgtRegs(1_234_567, 1_234_567, 0b000100), mass(12_345.67)],
  ])('Dini Argeo DGT4X: %s', (_name, regs, expected) => {
    expect(decodeScale(dgt, regs, 2)).toEqual(expected);
  });

  it.each<[string, RegisterImage, ScaleReading]>([
    // Status bits: Laumas status register (LCB Modbus manual, « Status register 1 », p. 3), the layout of the TLU's 40007.
    ['gross, stable', laumasRegs(100_000, 100_000, 1 << 11), mass(1000)],
    ['net display (b10)', laumasRegs(1500, 300, (1 << 11) | (1 << 10)), mass(3, true, true, 12)],
    ['net negative (b8), net display', laumasRegs(1500, 300, (1 << 11) | (1 << 8) | (1 << 10)), mass(-3, true, true, 18)],
    // A tare is set but the display shows gross: it was read as net when guessed from gross ≠ net.
    ['gross shown while a tare is set (b10 clear)', laumasRegs(1500, 300, 1 << 11), mass(15)],
    ['gross and net negative (b7, b8), moving', laumasRegs(42, 42, (1 << 7) | (1 << 8)), mass(-0.42, false)],
    ['overload on b2', laumasRegs(0, 0, 1 << 2), { kind: 'overload' }],
    ['overload on b3', laumasRegs(0, 0, 1 << 3), { kind: 'overload' }],
  ])('Laumas TLU: %s', (_name, regs, expected) => {
    expect(decodeScale(laumas, regs, 2)).toEqual(expected);
  });

  it.each<[string, number, RegExp]>([
    ['load cell error (b0)', 1 << 0, /load cell error \(cell disconnected or its cable cut\) \(register 6 bit 0\)/],
    ['A/D converter malfunction (b1)', 1 << 1, /A\/D converter malfunction/],
    ['gross beyond ±999999 (b4)', 1 << 4, /gross weight beyond ±999999 divisions/],
    ['net beyond ±999999 (b5)', 1 << 5, /net weight beyond ±999999 divisions/],
    ['a load cell error with the overload bits set too', (1 << 0) | (1 << 2), /load cell error/],
  ])('Laumas TLU fault: %s is a device error, never « 0 kg, stable »', (_name, status, reason) => {
    expect(() => decodeScale(laumas, laumasRegs(0, 0, status | (1 << 11)), 2)).toThrow(ScaleFaultError);
    expect(() => decodeScale(laumas, laumasRegs(0, 0, status | (1 << 11)), 2)).toThrow(reason);
  });

  it.each<[string, RegisterImage, ScaleReading]>([
    ['gross, 2 decimals, kg', hbmRegs(1234, 1234, 0, 2, 0), mass(12.34)],
    ['moving', hbmRegs(1234, 1234, 1 << 4, 2, 0), mass(12.34, false)],
    // Words and bits: HBM Weighing API (leistner/Weighing-API, HBM.Weighing.API/WTX/WTXModbus.cs, UpdateStandardData).
    ['signed net after a tare (weight type b7 = net)', hbmRegs(-1234, 10_000, 1 << 7, 2, 0), mass(-12.34, true, true, 112.34)],
    ['gross shown while a tare is set (b7 = gross)', hbmRegs(-1234, 10_000, 0, 2, 0), mass(100)],
    ['grams, no decimals', hbmRegs(1234, 1234, 0, 0, 1), mass(1.234)],
    ['tonnes, 3 decimals', hbmRegs(1250, 1250, 0, 3, 2), mass(1250)],
    ['pounds, 1 decimal', hbmRegs(275, 275, 0, 1, 3), mass(12.474)], // 27.5 lb, kept to the scale's resolution
    ['overload: limit bits = 2', hbmRegs(0, 0, 2 << 2, 2, 0), { kind: 'overload' }],
    ['underload: limit bits = 1', hbmRegs(0, 0, 1 << 2, 2, 0), { kind: 'underload' }],
  ])('HBM WTX: %s', (_name, regs, expected) => {
    expect(decodeScale(hbm, regs)).toEqual(expected);
  });

  it.each<[string, number, RegExp]>([
    ['general weight error (b0)', 1 << 0, /general weight error \(register 4 bit 0\)/],
    ['scale alarm (b1)', 1 << 1, /scale alarm triggered/],
    ['limit status 3: higher than the safe load limit', 3 << 2, /weight higher than the safe load limit/],
  ])('HBM WTX fault: %s is a device error, never a weight', (_name, status, reason) => {
    expect(() => decodeScale(hbm, hbmRegs(0, 0, status, 2, 0))).toThrow(ScaleFaultError);
    expect(() => decodeScale(hbm, hbmRegs(0, 0, status, 2, 0))).toThrow(reason);
  });

  it('a device decimals override wins over the map', () => {
    expect(decodeScale(hbm, hbmRegs(1234, 1234, 0, 2, 0), 1)).toEqual(mass(123.4));
  });

  it('an inline float32 map: IEEE 754, rounded to the display, NaN refused', () => {
    const map = scaleMapSchema.parse({
      fields: { gross: { register: 0, type: 'float32', wordOrder: 'CDAB' } },
      decimals: 2,
      flags: { moving: { register: 2, bit: 0 } },
    });
    // 23.45 as float32 is 0x41BB999A; low word first.
    expect(decodeScale(map, image({ holding: { 0: 0x999a, 1: 0x41bb, 2: 0 } }))).toEqual(mass(23.45));
    expect(() => decodeScale(map, image({ holding: { 0: 0x0000, 1: 0x7fc0, 2: 0 } }))).toThrow(/not a number/);
  });
});

/** A slave without a bus: polls and runs go straight to register tables. */
class FakeSlave extends EventEmitter<ModbusSlaveEvents> implements ModbusSlave {
  readonly unitId = 5;
  readonly name = 'fake';
  state: SlaveState = 'ok';
  readonly writes: Array<[number, number]> = [];
  polls: Array<(io: ModbusIo) => Promise<void>> = [];
  fail: Error | undefined;

  constructor(public tables: RegisterImage) {
    super();
  }

  readonly io: ModbusIo = {
    readRegisters: async (kind, address, count) => {
      if (this.fail) throw this.fail;
      return Array.from({ length: count }, (_, i) => this.tables[kind][address + i] ?? 0);
    },
    writeRegister: async (address, value) => {
      if (this.fail) throw this.fail;
      this.writes.push([address, value]);
    },
  };

  schedule(_intervalMs: number, poll: (io: ModbusIo) => Promise<void>): void {
    this.polls.push(poll);
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** One exchange at a time, as on a bus. */
  run<T>(exchange: (io: ModbusIo) => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      try {
        return await exchange(this.io);
      } catch (err) {
        this.emit('error', err as Error);
        throw err;
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** One turn of each scheduled poll, as the bus would give it. */
  async tick(): Promise<void> {
    for (const poll of this.polls) await this.run(poll).catch(() => undefined);
  }
}

describe('ModbusScaleDriver', () => {
  function harness(preset: string, tables: RegisterImage, decimals?: number) {
    const slave = new FakeSlave(tables);
    const driver = new ModbusScaleDriver(slave, { preset, pollMs: 100, ...(decimals === undefined ? {} : { decimals }) });
    const seen = { readings: [] as ScaleReading[], raws: [] as string[], errors: [] as FrameError[], links: [] as Array<[LinkState, string | undefined]> };
    driver.on('reading', (r, raw) => (seen.readings.push(r), seen.raws.push(raw)));
    driver.on('frameError', (e) => seen.errors.push(e));
    driver.on('link', (s, d) => seen.links.push([s, d]));
    return { slave, driver, seen };
  }

  it('reads the whole map in one request, shows the registers, reports the link from the answers', async () => {
    const h = harness('dini-argeo-dgt4x', image({ input: { 0: 0, 1: 1234, 2: 0, 3: 1234, 4: 0b100 } }), 2);
    h.driver.start();
    expect(h.slave.polls).toHaveLength(1);
    await h.slave.tick();
    expect(h.seen.readings).toEqual([mass(12.34)]);
    expect(h.seen.raws).toEqual(['input 0: 0000 04D2 0000 04D2 0004']);
    h.slave.fail = new Error('unit 5 (fake): read input 0+5: Timed out');
    await h.slave.tick();
    await h.slave.tick();
    h.slave.fail = undefined;
    await h.slave.tick();
    expect(h.seen.errors).toEqual([
      { reason: 'unit 5 (fake): read input 0+5: Timed out', raw: '' },
      { reason: 'unit 5 (fake): read input 0+5: Timed out', raw: '' },
    ]);
    expect(h.seen.links.map(([s]) => s)).toEqual(['connecting', 'open', 'closed', 'open']);
    expect(h.seen.links[2]![1]).toMatch(/Timed out/);
    await h.driver.stop();
    await h.slave.tick();
    expect(h.seen.readings).toHaveLength(2); // stopped: the poll only returns
  });

  it('tare and zero write 0 then the command to holding 40001 (DGT4X)', async () => {
    const h = harness('dini-argeo-dgt4x', image({}), 2);
    h.driver.command('tare');
    h.driver.command('tare');
    h.driver.command('zero');
    await new Promise((r) => setTimeout(r, 10));
    expect(h.slave.writes).toEqual([
      [0, 0],
      [0, 2],
      [0, 0],
      [0, 2],
      [0, 0],
      [0, 1],
    ]);
  });

  it('HBM WTX tare and zero: the code to output word 0, the handshake bit awaited, then 0', async () => {
    // HBM Weighing API, WTXModbus.cs « WriteSync »: write the command, wait for word 5 bit 14, write 0x00.
    const h = harness('hbm-wtx', image({ holding: { 5: 1 << 14 } }));
    h.driver.command('tare');
    await vi.waitFor(() => expect(h.slave.writes).toEqual([[0, 0x1], [0, 0]]));
    h.driver.command('zero');
    await vi.waitFor(() => expect(h.slave.writes.slice(2)).toEqual([[0, 0x40], [0, 0]]));
    expect(h.seen.errors).toEqual([]);
  });

  it('a fault the indicator reports is a frameError with its registers, and no reading', async () => {
    const h = harness('hbm-wtx', image({ holding: { 0: 0, 1: 0, 2: 0, 3: 0, 4: 1 << 0, 5: 2 << 4 } }));
    h.driver.start();
    await h.slave.tick();
    expect(h.seen.readings).toEqual([]);
    expect(h.seen.errors).toEqual([{ reason: expect.stringContaining('the indicator reports a fault: general weight error'), raw: expect.stringMatching(/^holding 0: 0000 0000 0000 0000 0001 0020/) }]);
    // Repaired: weights again.
    h.slave.tables = image({ holding: { 0: 0, 1: 1234, 2: 0, 3: 1234, 4: 0, 5: 2 << 4 } });
    await h.slave.tick();
    expect(h.seen.readings).toEqual([mass(12.34)]);
  });

  it('a command the preset does not know, or that fails, is a frameError, reported once', async () => {
    const h = harness('laumas-tlu', image({}), 2);
    h.driver.command('tare');
    expect(h.seen.errors).toEqual([{ reason: 'tare: no such command in laumas-tlu', raw: '' }]);
    const d = harness('dini-argeo-dgt4x', image({}), 2);
    d.driver.start();
    d.slave.fail = new Error('unit 5: write holding 0 = 0: Timed out');
    d.driver.command('zero');
    await new Promise((r) => setTimeout(r, 0));
    expect(d.seen.errors.map((e) => e.reason)).toEqual(['unit 5: write holding 0 = 0: Timed out']);
  });
});

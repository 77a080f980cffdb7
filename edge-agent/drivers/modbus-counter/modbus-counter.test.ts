import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ModbusIo, ModbusSlave, ModbusSlaveEvents } from '../../modbus/bus.js';
import type { CounterReading } from '../counter.js';
import type { FrameError } from '../scale.js';
import { modbusCounterConfigSchema, type ModbusCounterOptionsInput } from './config.js';
import { ModbusCounterDriver } from './driver.js';

describe('modbusCounterConfigSchema', () => {
  it('fills defaults: a poll a second, high word first, holding registers', () => {
    expect(modbusCounterConfigSchema.parse({ bus: 'portes', unitId: 2, in: { register: 0, type: 'uint32' }, out: { register: 2, type: 'uint32' } })).toEqual({
      bus: 'portes',
      unitId: 2,
      pollMs: 1000,
      in: { register: 0, kind: 'holding', type: 'uint32', wordOrder: 'ABCD' },
      out: { register: 2, kind: 'holding', type: 'uint32', wordOrder: 'ABCD' },
    });
  });

  it('refuses counts that wrap at different widths without a modulo, and unknown keys', () => {
    const mixed = { bus: 'portes', unitId: 2, in: { register: 0, type: 'uint16' }, out: { register: 2, type: 'uint32' } };
    expect(modbusCounterConfigSchema.safeParse(mixed).error?.issues).toMatchObject([{ path: ['out', 'type'] }]);
    expect(modbusCounterConfigSchema.safeParse({ ...mixed, modulo: 1_000_000 }).success).toBe(true);
    expect(modbusCounterConfigSchema.safeParse({ ...mixed, in: { register: 0, type: 'int16' } }).success).toBe(false);
    expect(modbusCounterConfigSchema.safeParse({ ...mixed, in: { address: 0, type: 'uint16' } }).success).toBe(false);
  });
});

/** A slave whose polls read fixed registers. */
class FakeSlave extends EventEmitter<ModbusSlaveEvents> implements ModbusSlave {
  readonly unitId = 2;
  readonly name = 'porte';
  readonly state = 'ok' as const;
  readonly reads: Array<[string, number, number]> = [];
  poll: ((io: ModbusIo) => Promise<void>) | undefined;

  constructor(public tables: { holding: number[]; input: number[] }) {
    super();
  }

  schedule(_ms: number, poll: (io: ModbusIo) => Promise<void>): void {
    this.poll = poll;
  }

  run<T>(exchange: (io: ModbusIo) => Promise<T>): Promise<T> {
    return exchange(this.io);
  }

  readonly io: ModbusIo = {
    readRegisters: async (kind, address, count) => {
      this.reads.push([kind, address, count]);
      return this.tables[kind].slice(address, address + count);
    },
    writeRegister: async () => undefined,
  };
}

function harness(options: ModbusCounterOptionsInput, tables: { holding?: number[]; input?: number[] }) {
  const slave = new FakeSlave({ holding: tables.holding ?? [], input: tables.input ?? [] });
  const driver = new ModbusCounterDriver(slave, options);
  const counts: CounterReading[] = [];
  const errors: FrameError[] = [];
  driver.on('counts', (c) => counts.push(c));
  driver.on('frameError', (e) => errors.push(e));
  driver.start();
  return { slave, counts, errors };
}

describe('ModbusCounterDriver', () => {
  it('ADAM: value = reg2 × 65536 + reg1 (CDAB), both counts in one request, modulo 2^32', async () => {
    const h = harness(
      { in: { register: 0, kind: 'input', type: 'uint32', wordOrder: 'CDAB' }, out: { register: 2, kind: 'input', type: 'uint32', wordOrder: 'CDAB' } },
      { input: [0x0002, 0x0001, 0xffff, 0xffff] },
    );
    await h.slave.poll!(h.slave.io);
    expect(h.counts).toEqual([{ in: 65_538, out: 4_294_967_295, modulo: 2 ** 32 }]);
    expect(h.slave.reads).toEqual([['input', 0, 4]]);
  });

  it('16-bit counts wrap at 65536; a configured modulo refuses counts above it', async () => {
    const h = harness({ in: { register: 10, type: 'uint16' }, out: { register: 11, type: 'uint16' } }, { holding: Object.assign([], { 10: 65_535, 11: 3 }) });
    await h.slave.poll!(h.slave.io);
    expect(h.counts).toEqual([{ in: 65_535, out: 3, modulo: 65_536 }]);
    const d = harness({ in: { register: 0, type: 'uint32' }, out: { register: 2, type: 'uint32' }, modulo: 1_000_000 }, { holding: [0x000f, 0x4240, 0, 5] });
    await d.slave.poll!(d.slave.io);
    expect(d.counts).toEqual([]);
    expect(d.errors).toEqual([{ reason: 'count above the modulo 1000000 (in 1000000, out 5): wrong modulo or register?', raw: 'holding 0: 000F 4240 0000 0005' }]);
  });
});

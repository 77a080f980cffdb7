import { counterModulo, counterRegisterSchema, type CounterRegister, type CounterRegisterInput } from '../../edge-agent/drivers/modbus-counter/config.js';
import { encodeValue, type RegisterKind } from '../../edge-agent/modbus/register-map.js';
import { ModbusException, readTable, type ModbusUnit } from './servers.js';

export interface SimulatedModbusCounterOptions {
  /** The same layout blocks as the driver's config: register, kind, type (uint16/uint32), wordOrder. */
  in: CounterRegisterInput;
  out: CounterRegisterInput;
}

/**
 * A cumulative in/out door counter behind Modbus registers (the twin of the modbus-counter driver): counts roll
 * over at their register width, and a power cut resets them to 0, as many counters do.
 */
export class SimulatedModbusCounter implements ModbusUnit {
  private readonly layout: { in: CounterRegister; out: CounterRegister };
  private counts = { in: 0, out: 0 };

  constructor(options: SimulatedModbusCounterOptions) {
    this.layout = { in: counterRegisterSchema.parse(options.in), out: counterRegisterSchema.parse(options.out) };
  }

  get in(): number {
    return this.counts.in;
  }

  get out(): number {
    return this.counts.out;
  }

  /** People walking in: the count rolls over at the register width. */
  enter(n = 1): void {
    this.counts.in = (this.counts.in + n) % modulo(this.layout.in);
  }

  leave(n = 1): void {
    this.counts.out = (this.counts.out + n) % modulo(this.layout.out);
  }

  /** Sets the raw counts (a counter found mid-life, or just below its wrap). */
  set(counts: { in: number; out: number }): void {
    this.counts = { in: counts.in % modulo(this.layout.in), out: counts.out % modulo(this.layout.out) };
  }

  /** A power cut: the counts start again from 0. */
  powerCycle(): void {
    this.counts = { in: 0, out: 0 };
  }

  read(kind: RegisterKind, address: number, count: number): number[] {
    const table: number[] = [];
    for (const side of ['in', 'out'] as const) {
      const l = this.layout[side];
      if (l.kind === kind) encodeValue(this.counts[side], l.type, l.wordOrder).forEach((w, i) => (table[l.register + i] = w));
    }
    return readTable(table, kind, address, count);
  }

  write(address: number): void {
    throw new ModbusException(2, `holding register ${address} is read-only`);
  }
}

function modulo(layout: CounterRegister): number {
  return counterModulo({ in: layout });
}

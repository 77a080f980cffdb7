import { EventEmitter } from 'node:events';
import type { ModbusBus, ModbusSlave } from '../../modbus/bus.js';
import { SlavePoller, slaveOf } from '../../modbus/modbus-bus.js';
import { decodeField, fieldSpans, planReads, printRegisters, readImage, type RegisterField, type RegisterImage, type RegisterSpan } from '../../modbus/register-map.js';
import type { CounterDriver, CounterDriverEvents } from '../counter.js';
import {
  counterModulo,
  modbusCounterOptionsSchema,
  type CounterRegister,
  type ModbusCounterConfig,
  type ModbusCounterOptionsInput,
} from './config.js';

/**
 * A cumulative in/out door counter on a Modbus bus: reads both counts every pollMs and emits them raw, with
 * the modulo they wrap at; the agent computes deltas (wrap and reset included). A 32-bit count is read in one
 * request so its halves cannot straddle an increment.
 */
export class ModbusCounterDriver extends EventEmitter<CounterDriverEvents> implements CounterDriver {
  private readonly fields: { in: RegisterField; out: RegisterField };
  private readonly plan: RegisterSpan[];
  private readonly modulo: number;
  private readonly poller: SlavePoller<RegisterImage>;

  constructor(slave: ModbusSlave, options: ModbusCounterOptionsInput) {
    super();
    const o = modbusCounterOptionsSchema.parse(options);
    this.fields = { in: asField(o.in), out: asField(o.out) };
    this.plan = planReads([...fieldSpans(this.fields.in, 'holding'), ...fieldSpans(this.fields.out, 'holding')]);
    this.modulo = counterModulo(o);
    this.poller = new SlavePoller(slave, o.pollMs, `modbus unit ${slave.unitId} (counter)`, {
      read: (io) => readImage(io, this.plan),
      deliver: (image) => this.decode(image),
      link: (state, detail) => this.emit('link', state, detail),
      failure: (error) => this.emit('frameError', { reason: error.message, raw: '' }),
    });
  }

  start(): void {
    this.poller.start();
  }

  async stop(): Promise<void> {
    this.poller.stop();
  }

  private decode(image: RegisterImage): void {
    const counts = { in: decodeField(image[this.fields.in.kind!], this.fields.in), out: decodeField(image[this.fields.out.kind!], this.fields.out) };
    if (counts.in >= this.modulo || counts.out >= this.modulo) {
      this.emit('frameError', {
        reason: `count above the modulo ${this.modulo} (in ${counts.in}, out ${counts.out}): wrong modulo or register?`,
        raw: printRegisters(image, this.plan),
      });
      return;
    }
    this.emit('counts', { ...counts, modulo: this.modulo });
  }
}

function asField(r: CounterRegister): RegisterField {
  return { kind: r.kind, register: r.register, type: r.type, wordOrder: r.wordOrder, offset: 0 };
}

/** The driver of one device config, on the bus it names. */
export function createModbusCounterDriver(config: ModbusCounterConfig, buses: ReadonlyMap<string, ModbusBus>, name: string): ModbusCounterDriver {
  const { bus, unitId, ...options } = config;
  return new ModbusCounterDriver(slaveOf(buses, { bus, unitId }, name), options);
}

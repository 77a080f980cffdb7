import type { EventEmitter } from 'node:events';

/** The Modbus function codes a device poll may use, on one slave. */
export interface ModbusIo {
  /** FC03 (holding) or FC04 (input): `count` registers from protocol address `address` (register 40001 → 0). */
  readRegisters(kind: 'holding' | 'input', address: number, count: number): Promise<number[]>;
  /** FC06. */
  writeRegister(address: number, value: number): Promise<void>;
}

export type SlaveState = 'ok' | 'backoff';

export interface ModbusSlaveEvents {
  /** A poll or command failed (timeout, exception, CRC, link down); the bus backs this slave off. */
  error: [error: Error];
  /** A poll succeeded after failures. */
  recovered: [];
}

/**
 * One unit on a bus. Its polls run one transaction at a time with every other slave of the same bus;
 * a slave that fails is retried with growing backoff so it cannot starve the others.
 */
export interface ModbusSlave extends EventEmitter<ModbusSlaveEvents> {
  readonly unitId: number;
  readonly name: string;
  /** Runs `poll` about every intervalMs until the bus stops. A rejection counts as a failure of this slave. */
  schedule(intervalMs: number, poll: (io: ModbusIo) => Promise<void>): void;
  /** Runs a one-off exchange (a tare or zero command) ahead of the next polls. */
  run<T>(exchange: (io: ModbusIo) => Promise<T>): Promise<T>;
  readonly state: SlaveState;
}

export interface ModbusBusEvents {
  link: [state: 'open' | 'closed', detail?: string];
}

/** An RS-485 line (RTU) or a TCP endpoint: one transaction at a time, shared by its slaves. */
export interface ModbusBus extends EventEmitter<ModbusBusEvents> {
  readonly id: string;
  slave(unitId: number, name: string): ModbusSlave;
  start(): void;
  stop(): Promise<void>;
}

import { ServerSerial, ServerTCP, type IServiceVector } from 'modbus-serial';
import type { RegisterKind } from '../../edge-agent/modbus/register-map.js';

/** One simulated slave, as a Modbus server sees it. */
export interface ModbusUnit {
  /** FC03/FC04; throws a ModbusException for an address the device does not define. */
  read(kind: RegisterKind, address: number, count: number): number[];
  /** FC06. */
  write(address: number, value: number): void;
}

/** An exception answer (0x80 | function code, then this code): 1 illegal function, 2 illegal data address… */
export class ModbusException extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads `count` registers from a sparse table, or refuses with "illegal data address" as a device would. */
export function readTable(table: ReadonlyArray<number | undefined>, kind: RegisterKind, address: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = table[address + i];
    if (value === undefined) throw new ModbusException(2, `no ${kind} register ${address + i}`);
    out.push(value);
  }
  return out;
}

/**
 * The units behind one server, by unit id. A unit id not in the map gets no answer at all, as on a real bus:
 * delete a unit to play a dead slave, put it back to revive it.
 */
export type ModbusUnits = Map<number, ModbusUnit>;

export interface ServeOptions {
  /** Delays each answer by the time its bytes would take at this baud rate (a pty is instant). */
  lineBaudRate?: number;
}

/** RTU bytes of a request (8) and its answer, at 10 bits a byte: the wire time of one transaction. */
function wireMs(answerBytes: number, baudRate: number | undefined): number {
  return baudRate ? ((8 + answerBytes) * 10 * 1000) / baudRate : 0;
}

/** modbus-serial's service vector over `units`; an absent unit never settles, so the server stays silent. */
function vector(units: ModbusUnits, options: ServeOptions): IServiceVector {
  const never = new Promise<never>(() => undefined);
  const answer = async <T>(unitId: number, answerBytes: number, act: (unit: ModbusUnit) => T): Promise<T> => {
    const unit = units.get(unitId);
    if (!unit) return never;
    const delay = wireMs(answerBytes, options.lineBaudRate);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return act(unit);
  };
  const read = (kind: RegisterKind, address: number, length: number, unitId: number) =>
    answer(unitId, 5 + 2 * length, (u) => u.read(kind, address, length));
  // Multi-register reads must use the callback form: ServerTCP takes a returned promise for the array itself.
  const readMany = (kind: RegisterKind) => (address: number, length: number, unitId: number, cb: (err: Error | null, values: number[]) => void) =>
    void read(kind, address, length, unitId).then(
      (values) => cb(null, values),
      (err: Error) => cb(err, []),
    );
  const readOne = (kind: RegisterKind) => async (address: number, unitId: number) => (await read(kind, address, 1, unitId))[0]!;
  return {
    getMultipleHoldingRegisters: readMany('holding'),
    getMultipleInputRegisters: readMany('input'),
    getHoldingRegister: readOne('holding'),
    getInputRegister: readOne('input'),
    setRegister: (address: number, value: number, unitId: number) => answer(unitId, 8, (u) => u.write(address, value)),
  };
}

export interface RunningServer {
  close(): Promise<void>;
}

/** Modbus TCP on host:port (modbus-serial ServerTCP). `port` must be given: ServerTCP turns 0 into 502. */
export async function serveModbusTcp(units: ModbusUnits, options: { host?: string; port: number } & ServeOptions): Promise<RunningServer> {
  const server = new ServerTCP(vector(units, options), { host: options.host ?? '127.0.0.1', port: options.port, unitID: 255 });
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', (err) => reject(err ?? new Error('ServerTCP failed to listen')));
  });
  server.on('socketError', () => undefined); // a client that vanishes is not the simulator's problem
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Modbus RTU on a serial port, e.g. the simulator end of a socat pty pair (modbus-serial ServerSerial, which
 * frames requests by a silence of `frameGapMs`). It recomputes request CRCs, so it cannot play CRC errors:
 * that is tests/helpers/raw-rtu-responder.ts's job.
 */
export async function serveModbusRtu(path: string, units: ModbusUnits, options: ServeOptions & { frameGapMs?: number } = {}): Promise<RunningServer> {
  let server!: ServerSerial;
  await new Promise<void>((resolve, reject) => {
    server = new ServerSerial(vector(units, options), {
      path,
      baudRate: 9600,
      unitID: 255,
      // A pty delivers a request in one chunk; 3.5 characters at 9600 baud is 4 ms.
      interval: options.frameGapMs ?? 4,
      openCallback: (err) => (err ? reject(err) : resolve()),
    } as ConstructorParameters<typeof ServerSerial>[1]);
  });
  server.on('socketError', () => undefined);
  server.on('error', () => undefined);
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

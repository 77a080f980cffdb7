import type { ByteSink, SimulatedDevice } from '../../firmware-sim/common/sim-device.js';
import { ModbusException, type ModbusUnits } from '../../firmware-sim/modbus/servers.js';

/**
 * How one unit misbehaves: `ok` answers properly; `bad-crc` answers with a corrupted CRC; `wrong-unit`
 * answers with another unit id in the frame; `silent` never answers; `slow` answers after `delayMs`;
 * `stall` answers at once, then blocks this whole process for `stallMs` (`times` times, then answers as
 * `ok`): the answer waits unread in the kernel while the client's timer falls due, as when the agent's
 * process is starved of CPU on a loaded Pi.
 */
export type RawBehaviour =
  | { mode: 'ok' }
  | { mode: 'bad-crc' }
  | { mode: 'wrong-unit'; answerAs?: number }
  | { mode: 'silent' }
  | { mode: 'slow'; delayMs: number }
  | { mode: 'stall'; stallMs: number; times: number };

/** FC03, FC04 and FC06 requests are all 8 bytes: unit, function, two 16-bit words, CRC. */
const REQUEST_BYTES = 8;

/**
 * A hand-written Modbus RTU slave side, for what modbus-serial's ServerSerial cannot do: it recomputes every
 * request's CRC and always answers with a good one. This responder checks request CRCs (a bad request gets no
 * answer, as on a real bus) and can answer each unit with a bad CRC, under the wrong unit id, late, or not at all.
 * Attach it to a pty pair (`pair.attach(responder)`) or a TcpSerialServer (RTU over TCP). FC03/04/06 only.
 */
export class RawRtuResponder implements SimulatedDevice {
  private sink: ByteSink | undefined;
  private pending = Buffer.alloc(0);
  private readonly behaviours = new Map<number, RawBehaviour>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Requests seen per unit id (good CRC), answered or not. */
  readonly requests = new Map<number, number>();
  /** Requests dropped for a bad CRC. */
  badRequests = 0;

  constructor(readonly units: ModbusUnits) {}

  setBehaviour(unitId: number, behaviour: RawBehaviour): void {
    this.behaviours.set(unitId, behaviour);
  }

  setSink(sink: ByteSink | undefined): void {
    this.sink = sink;
    this.pending = Buffer.alloc(0);
  }

  receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= REQUEST_BYTES) {
      const frame = this.pending.subarray(0, REQUEST_BYTES);
      if (crc16(frame.subarray(0, 6)) !== frame.readUInt16LE(6)) {
        // Not a request boundary (line noise, a partial frame): slide one byte and look again.
        this.badRequests++;
        this.pending = this.pending.subarray(1);
        continue;
      }
      this.pending = this.pending.subarray(REQUEST_BYTES);
      this.handle(Buffer.from(frame));
    }
  }

  /** Cancels answers still waiting (slow units). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private handle(request: Buffer): void {
    const unitId = request[0]!;
    const unit = this.units.get(unitId);
    this.requests.set(unitId, (this.requests.get(unitId) ?? 0) + 1);
    const behaviour = this.behaviours.get(unitId) ?? { mode: 'ok' };
    if (!unit || behaviour.mode === 'silent') return;
    const fc = request[1]!;
    const a = request.readUInt16BE(2);
    const b = request.readUInt16BE(4);
    let pdu: Buffer;
    try {
      if (fc === 3 || fc === 4) {
        const words = unit.read(fc === 3 ? 'holding' : 'input', a, b);
        pdu = Buffer.alloc(2 + 2 * words.length);
        pdu[0] = fc;
        pdu[1] = 2 * words.length;
        words.forEach((w, i) => pdu.writeUInt16BE(w, 2 + 2 * i));
      } else if (fc === 6) {
        unit.write(a, b);
        pdu = Buffer.from(request.subarray(1, 6)); // FC06 echoes the request
      } else {
        throw new ModbusException(1, `function ${fc} not supported`);
      }
    } catch (err) {
      const code = err instanceof ModbusException ? err.modbusErrorCode : 4;
      pdu = Buffer.from([fc | 0x80, code]);
    }
    const id = behaviour.mode === 'wrong-unit' ? (behaviour.answerAs ?? (unitId % 247) + 1) : unitId;
    const frame = Buffer.concat([Buffer.from([id]), pdu, Buffer.alloc(2)]);
    let crc = crc16(frame.subarray(0, -2));
    if (behaviour.mode === 'bad-crc') crc ^= 0xa5a5;
    frame.writeUInt16LE(crc, frame.length - 2);
    if (behaviour.mode === 'stall') {
      this.sink?.write(frame);
      // Blocks the thread without spinning: nothing of this process runs, as under a CPU hog.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, behaviour.stallMs);
      this.behaviours.set(unitId, behaviour.times > 1 ? { ...behaviour, times: behaviour.times - 1 } : { mode: 'ok' });
      return;
    }
    if (behaviour.mode !== 'slow') {
      this.sink?.write(frame);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.sink?.write(frame);
    }, behaviour.delayMs);
    this.timers.add(timer);
  }
}

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), sent low byte first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

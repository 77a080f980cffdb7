import { z } from 'zod';
import { slug } from '../../protocol/index.js';
import { serialTransportSchema } from '../transport/config.js';

/** An RS-485 line on a local port: the serial transport's settings, addressed by /dev/serial/by-id/… */
export const rtuLineSchema = serialTransportSchema.extend({ type: z.literal('rtu') }).strict();

/** Modbus TCP (MBAP framing) to an indicator or a gateway. */
export const modbusTcpSchema = z
  .object({
    type: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(502),
  })
  .strict();

/** RTU frames carried raw over TCP by a serial device server (ser2net, Moxa NPort in raw mode, USR-TCP232). */
export const rtuOverTcpSchema = z
  .object({
    type: z.literal('rtu-over-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
  })
  .strict();

/** One Modbus bus: one transaction at a time for all its slaves. */
export const modbusBusSchema = z
  .object({
    id: slug,
    transport: z.discriminatedUnion('type', [rtuLineSchema, modbusTcpSchema, rtuOverTcpSchema]),
    /** How long one request waits for its answer. A dead slave costs the others at most this per retry. */
    timeoutMs: z.number().int().min(20).max(10_000).default(300),
    /** Silence kept after each answer before the next request, for slaves that need a pause (RS-485 turnaround). */
    interFrameDelayMs: z.number().int().min(0).max(1_000).optional(),
    /** Ceiling of a failing slave's retry interval (it doubles from its poll interval at each failure). */
    maxBackoffMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
  })
  .strict();

export type ModbusBusConfig = z.infer<typeof modbusBusSchema>;
export type ModbusBusConfigInput = z.input<typeof modbusBusSchema>;
export type ModbusTransportConfig = ModbusBusConfig['transport'];

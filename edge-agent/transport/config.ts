import { z } from 'zod';

/** A local serial port. Address USB adapters by /dev/serial/by-id/…: ttyUSB numbers change on replug. */
export const serialTransportSchema = z
  .object({
    type: z.literal('serial'),
    path: z.string().min(1, 'must be a device path such as /dev/serial/by-id/usb-FTDI_… or /dev/ttyUSB0'),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

/** A serial device server (ser2net, Moxa NPort…) in raw TCP mode. */
export const tcpTransportSchema = z
  .object({
    type: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
    /** TCP keepalive probe delay; 0 turns it off. Detects a device server that vanished without a FIN. */
    keepAliveMs: z.number().int().min(0).default(10_000),
  })
  .strict();

export const transportSchema = z.discriminatedUnion('type', [serialTransportSchema, tcpTransportSchema]);

export type SerialTransportConfig = z.infer<typeof serialTransportSchema>;
export type TcpTransportConfig = z.infer<typeof tcpTransportSchema>;
export type TransportConfig = z.infer<typeof transportSchema>;

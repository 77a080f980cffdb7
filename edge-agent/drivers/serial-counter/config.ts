import { z } from 'zod';

const byte = z.number().int().min(0).max(0xff);

/** CRC-8 parameters in the usual catalogue form (Williams / reveng): poly, init, reflected in and out, xorOut. */
export const crc8ParamsSchema = z
  .object({
    poly: byte,
    init: byte.default(0x00),
    /** Bits processed least significant first (true for Dallas/Maxim 1-Wire). */
    reflected: z.boolean().default(false),
    xorOut: byte.default(0x00),
  })
  .strict();

export type Crc8Params = z.infer<typeof crc8ParamsSchema>;

/** Named CRC-8 variants met on counters. */
export const CRC8_PRESETS = {
  /** CRC-8/SMBUS: poly 0x07, init 0, not reflected. */
  crc8: { poly: 0x07, init: 0x00, reflected: false, xorOut: 0x00 },
  /** CRC-8/MAXIM-DOW (Dallas 1-Wire): poly 0x31, init 0, reflected. */
  'dallas-maxim': { poly: 0x31, init: 0x00, reflected: true, xorOut: 0x00 },
} as const satisfies Record<string, Crc8Params>;

const presetNames = Object.keys(CRC8_PRESETS) as Array<keyof typeof CRC8_PRESETS>;

/**
 * The frame layout of a binary serial people counter (the `serialCounter:` block of a device). There is
 * no standard: the defaults describe a common layout (check your device's manual) —
 * STX 0x02, in (uint32 big-endian), out (uint32 big-endian), CRC-8 (poly 0x07) over the counters, ETX 0x03.
 */
export const serialCounterConfigSchema = z
  .object({
    stx: byte.default(0x02),
    /** End byte after the CRC; null when the device sends none. */
    etx: byte.nullable().default(0x03),
    /** Width of each counter: 2 (uint16) or 4 (uint32). */
    counterBytes: z.union([z.literal(2), z.literal(4)]).default(4),
    byteOrder: z.enum(['big', 'little']).default('big'),
    /** Which counter comes first in the frame. */
    fieldOrder: z.enum(['in-out', 'out-in']).default('in-out'),
    /** A preset name or explicit parameters. */
    crc: z
      .union([z.enum(presetNames), crc8ParamsSchema])
      .default('crc8')
      .transform((c): Crc8Params => (typeof c === 'string' ? { ...CRC8_PRESETS[c] } : c)),
    /** The bytes the CRC covers: the two counters, or the STX too. */
    crcOver: z.enum(['counters', 'stx-and-counters']).default('counters'),
    /** Where the counters wrap; default the field width (65 536 or 2^32). 1000000 for a display wrapping at 999999. */
    modulo: z.number().int().min(2).max(2 ** 32).optional(),
  })
  .strict()
  .refine((c) => c.modulo === undefined || c.modulo <= 2 ** (8 * c.counterBytes), {
    message: 'cannot be larger than what counterBytes can hold (65536 for 2 bytes, 4294967296 for 4)',
    path: ['modulo'],
  });

export type SerialCounterConfig = z.infer<typeof serialCounterConfigSchema>;
export type SerialCounterConfigInput = z.input<typeof serialCounterConfigSchema>;

/** The modulo readings are reported with: the configured one, or the counter width. */
export function counterModulo(config: SerialCounterConfig): number {
  return config.modulo ?? 2 ** (8 * config.counterBytes);
}

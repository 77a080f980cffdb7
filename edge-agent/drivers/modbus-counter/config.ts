import { z } from 'zod';
import { slug } from '../../../protocol/index.js';
import { registerKindSchema, wordOrders } from '../../modbus/register-map.js';

/** Where one cumulative count lives. */
export const counterRegisterSchema = z
  .object({
    /** Protocol address (holding 40001 → 0, input 30001 → 0). */
    register: z.number().int().min(0).max(65_535),
    kind: registerKindSchema.default('holding'),
    /** uint16 rolls over 65535 → 0; uint32 takes two registers, read in one request. */
    type: z.enum(['uint16', 'uint32']),
    /** Advantech ADAM sends the low word first (value = reg2 × 65536 + reg1): CDAB. */
    wordOrder: z.enum(wordOrders).default('ABCD'),
  })
  .strict();

const optionsShape = {
  /** Counts change slowly; deltas are computed by the agent, so a poll a second loses nothing. */
  pollMs: z.number().int().min(100).max(600_000).default(1_000),
  in: counterRegisterSchema,
  out: counterRegisterSchema,
  /** Where the counter wraps, if not at its register width (1000000 for a display wrapping at 999999). */
  modulo: z.number().int().min(2).max(2 ** 32).optional(),
};

function checkWidths(o: { in: { type: string }; out: { type: string }; modulo?: number | undefined }, ctx: z.RefinementCtx): void {
  if (o.modulo === undefined && o.in.type !== o.out.type) {
    ctx.addIssue({ code: 'custom', path: ['out', 'type'], message: 'in and out wrap at different widths: use the same type, or give modulo' });
  }
}

/** Options of the Modbus counter driver (its constructor's, besides the slave). */
export const modbusCounterOptionsSchema = z.object(optionsShape).strict().superRefine(checkWidths);

/** The `modbus:` block of a door-counter device. */
export const modbusCounterConfigSchema = z
  .object({
    /** The id of a bus in the agent's `modbus.buses`. */
    bus: slug,
    unitId: z.number().int().min(1).max(247),
    ...optionsShape,
  })
  .strict()
  .superRefine(checkWidths);

export type CounterRegister = z.infer<typeof counterRegisterSchema>;
export type CounterRegisterInput = z.input<typeof counterRegisterSchema>;
export type ModbusCounterOptions = z.infer<typeof modbusCounterOptionsSchema>;
export type ModbusCounterOptionsInput = z.input<typeof modbusCounterOptionsSchema>;
export type ModbusCounterConfig = z.infer<typeof modbusCounterConfigSchema>;
export type ModbusCounterConfigInput = z.input<typeof modbusCounterConfigSchema>;

/** Where the raw counts wrap: the configured modulo, else the register width. */
export function counterModulo(options: Pick<ModbusCounterOptions, 'in' | 'modulo'>): number {
  return options.modulo ?? (options.in.type === 'uint16' ? 2 ** 16 : 2 ** 32);
}

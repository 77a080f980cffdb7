import { z } from 'zod';
import { polledLineOptions } from '../polled-line-options.js';

/** Options of the SMA SCP-0499 driver (the `sma:` block of a device). */
export const smaConfigSchema = z
  .object({
    /** `<LF>W<CR>` is the weight request. */
    ...polledLineOptions({ pollMs: 200, replyTimeoutMs: 1_000, maxLineBytes: 128 }),
    /** Zero and tare wait for standstill on the scale before it replies: they get longer. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .strict();

export type SmaConfig = z.infer<typeof smaConfigSchema>;
export type SmaConfigInput = z.input<typeof smaConfigSchema>;

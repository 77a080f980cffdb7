import { z } from 'zod';
import { polledLineOptions } from '../polled-line-options.js';

/** Options of the Radwag driver (the `radwag:` block of a device). */
export const radwagConfigSchema = z
  .object({
    /** `SI` (the immediate result in the basic unit) is the weight request. */
    ...polledLineOptions({ pollMs: 200, replyTimeoutMs: 1_000, maxLineBytes: 128 }),
    /** Zero and tare wait for a stable pan before the balance answers `D`: they get longer. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .strict();

export type RadwagConfig = z.infer<typeof radwagConfigSchema>;
export type RadwagConfigInput = z.input<typeof radwagConfigSchema>;

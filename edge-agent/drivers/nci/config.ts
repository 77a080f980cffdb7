import { z } from 'zod';
import { polledLineOptions } from '../polled-line-options.js';

/** Options of the NCI SCP-12 driver (the `nci:` block of a device). */
export const nciConfigSchema = z
  .object({
    /** `W` is the weight request; the protocol answers within 300 ms. */
    ...polledLineOptions({ pollMs: 200, replyTimeoutMs: 1_000, maxLineBytes: 128 }),
  })
  .strict();

export type NciConfig = z.infer<typeof nciConfigSchema>;
export type NciConfigInput = z.input<typeof nciConfigSchema>;

import { z } from 'zod';

/** Options of the NCI SCP-12 driver (the `nci:` block of a device). */
export const nciConfigSchema = z
  .object({
    /** Period of the `W` requests; one request is outstanding at a time. */
    pollMs: z.number().int().min(20).max(60_000).default(200),
    /** No reply to a request within this is an error; the next period asks again (the protocol answers within 300 ms). */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
    /** A reply longer than this without CR ETX is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(128),
  })
  .strict();

export type NciConfig = z.infer<typeof nciConfigSchema>;
export type NciConfigInput = z.input<typeof nciConfigSchema>;

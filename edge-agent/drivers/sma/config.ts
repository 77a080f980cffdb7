import { z } from 'zod';

/** Options of the SMA SCP-0499 driver (the `sma:` block of a device). */
export const smaConfigSchema = z
  .object({
    /** Period of the `<LF>W<CR>` weight requests; one request is outstanding at a time. */
    pollMs: z.number().int().min(20).max(60_000).default(200),
    /** No reply to a weight request within this is an error; the next period asks again. */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Zero and tare wait for standstill on the scale before it replies: they get longer. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** A frame (or a run of bytes outside frames) longer than this is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(128),
  })
  .strict();

export type SmaConfig = z.infer<typeof smaConfigSchema>;
export type SmaConfigInput = z.input<typeof smaConfigSchema>;

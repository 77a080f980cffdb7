import { z } from 'zod';

/** Options of the Radwag driver (the `radwag:` block of a device). */
export const radwagConfigSchema = z
  .object({
    /** Period of the `SI` requests (immediate result in the basic unit); one request is outstanding at a time. */
    pollMs: z.number().int().min(20).max(60_000).default(200),
    /** No reply to a request within this is an error; the next period asks again. */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Zero and tare wait for a stable pan before the balance answers `D`: they get longer. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** A line longer than this without CR LF is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(128),
  })
  .strict();

export type RadwagConfig = z.infer<typeof radwagConfigSchema>;
export type RadwagConfigInput = z.input<typeof radwagConfigSchema>;

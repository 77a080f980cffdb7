import { z } from 'zod';

/** Options of the Ohaus driver (the `ohaus:` block of a device). */
export const ohausConfigSchema = z
  .object({
    /**
     * Period of the `IP` requests (immediate print); one request is outstanding at a time. 0: send none, for a
     * balance set to print continuously or on its Print key.
     */
    pollMs: z.union([z.literal(0), z.number().int().min(20).max(60_000)]).default(200),
    /** No reply to a request within this is an error; the next period asks again. */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
    /** A line longer than this without CR LF is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(128),
  })
  .strict();

export type OhausConfig = z.infer<typeof ohausConfigSchema>;
export type OhausConfigInput = z.input<typeof ohausConfigSchema>;

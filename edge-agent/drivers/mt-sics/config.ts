import { z } from 'zod';

export const mtSicsModes = ['poll', 'stream'] as const;
export type MtSicsMode = (typeof mtSicsModes)[number];

/** Options of the MT-SICS driver (the `mtSics:` block of a device). */
export const mtSicsConfigSchema = z
  .object({
    /** `poll` asks `SI` every pollMs, one request at a time; `stream` asks `SIR` once and reads what comes. */
    mode: z.enum(mtSicsModes).default('poll'),
    /** Period of the `SI` requests (poll mode), and of the silence check (stream mode). */
    pollMs: z.number().int().min(20).max(60_000).default(200),
    /** No reply to a request within this is an error, and the request is sent again; in stream mode, silence this long re-sends `SIR`. */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Zero and tare wait for stability on the balance before it replies: they get longer. */
    commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** Sends `@` each time the link opens, to clear a half-received command (older balances also clear their tare). */
    resetOnConnect: z.boolean().default(true),
    /** A line longer than this without CR LF is garbage (wrong baud rate, stuck line): dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(256),
  })
  .strict();

export type MtSicsConfig = z.infer<typeof mtSicsConfigSchema>;
export type MtSicsConfigInput = z.input<typeof mtSicsConfigSchema>;

import { z } from 'zod';

export const stgsFormats = ['auto', 'ad-balance', 'ad-indicator', 'cas', 'dini'] as const;
export type StgsFormat = (typeof stgsFormats)[number];
/** A concrete wire format, as detected on a frame or forced in the config. */
export type StgsFrameFormat = Exclude<StgsFormat, 'auto'>;

/** Options of the ST,GS driver (the `stgs:` block of a device). */
export const stgsConfigSchema = z
  .object({
    /** `auto` tells the four formats apart frame by frame; force one only if auto-detection misreads a device. */
    format: z.enum(stgsFormats).default('auto'),
    /** Sent (CR LF appended) each time the link opens, e.g. a command that starts continuous output. */
    commandOnConnect: z.string().min(1).max(32).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII').optional(),
    /** A line longer than this without CR LF is garbage (wrong baud rate, stuck line): dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(256),
  })
  .strict();

export type StgsConfig = z.infer<typeof stgsConfigSchema>;
export type StgsConfigInput = z.input<typeof stgsConfigSchema>;

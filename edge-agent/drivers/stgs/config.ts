import { z } from 'zod';
import { polledLineOptions } from '../polled-line-options.js';

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
    /**
     * For a device that answers requests instead of streaming (a Dini Argeo's extended string: `REXT`): sent
     * (CR LF appended) every `pollMs` while the link is open.
     */
    request: z.string().min(1).max(32).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII').optional(),
    // pollMs and replyTimeoutMs apply with `request`; a line longer than maxLineBytes without CR LF is garbage
    // (wrong baud rate, stuck line): dropped and reported.
    ...polledLineOptions({ pollMs: 200, replyTimeoutMs: 1_000, maxLineBytes: 256 }),
  })
  .strict();

export type StgsConfig = z.infer<typeof stgsConfigSchema>;
export type StgsConfigInput = z.input<typeof stgsConfigSchema>;

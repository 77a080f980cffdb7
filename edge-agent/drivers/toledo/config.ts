import { z } from 'zod';

export const toledoChecksumModes = ['auto', 'present', 'absent'] as const;
export type ToledoChecksumMode = (typeof toledoChecksumModes)[number];

/** Options of the Toledo Continuous driver (the `toledo:` block of a device). */
export const toledoConfigSchema = z
  .object({
    /**
     * Whether frames end with a checksum byte after CR (18 bytes) or not (17). `auto` tells from the stream
     * and re-detects after a reconnect; `present` checks every frame, so it is the safest when known.
     */
    checksum: z.enum(toledoChecksumModes).default('auto'),
    /** Bytes skipped without finding a frame before they are reported (wrong baud rate, stuck line). */
    maxSkipBytes: z.number().int().min(32).max(4096).default(256),
  })
  .strict();

export type ToledoConfig = z.infer<typeof toledoConfigSchema>;
export type ToledoConfigInput = z.input<typeof toledoConfigSchema>;

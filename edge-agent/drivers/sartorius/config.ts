import { z } from 'zod';

/** ESC commands that tare and zero; which ones a balance knows depends on its model. */
export const sartoriusTareCommands = ['T', 'U', 'f4_'] as const;
export const sartoriusZeroCommands = ['T', 'V', 'f3_'] as const;

/** Options of the Sartorius SBI driver (the `sartorius:` block of a device). */
export const sartoriusConfigSchema = z
  .object({
    /** 16 characters, 22 with a 6-character ID code in front, or `auto` to tell them apart line by line. */
    frameLength: z.union([z.literal('auto'), z.literal(16), z.literal(22)]).default('auto'),
    /** Send ESC P (print) each time the link opens, for a balance that prints only when asked. */
    printOnConnect: z.boolean().default(false),
    /** Send ESC P every pollMs while the link is open (0: never), for a balance not set to auto print. */
    pollMs: z.number().int().min(0).max(60_000).default(0).refine((ms) => ms === 0 || ms >= 100, 'must be 0 (off) or at least 100 ms'),
    /**
     * ESC T is the TARE key of every SBI balance (it zeroes when the pan is empty, else tares). Newer models
     * also know ESC U (tare) and ESC V (zero), older ones ESC f4_ (tare) and ESC f3_ (zero) *(check)*.
     */
    tareCommand: z.enum(sartoriusTareCommands).default('T'),
    zeroCommand: z.enum(sartoriusZeroCommands).default('T'),
    /**
     * Unit of moving frames, which carry none, until a stable frame shows it (then the last stable unit
     * wins). Without it, moving frames before the first stable one are not readings of a mass.
     */
    unit: z.enum(['kg', 'g', 'lb', 't']).optional(),
    /** A line longer than this without CR LF is garbage (wrong baud rate, stuck line): dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(256),
  })
  .strict();

export type SartoriusConfig = z.infer<typeof sartoriusConfigSchema>;
export type SartoriusConfigInput = z.input<typeof sartoriusConfigSchema>;

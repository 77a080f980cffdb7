import { z } from 'zod';

/** How a line says something: its named part equals one of these values (compared trimmed). */
const partValues = z
  .object({
    /** A named part of `pattern`. */
    part: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
    /** The values that say it, e.g. [ST] or ["?"]; an empty string is « the part is blank or absent ». */
    equals: z.array(z.string()).min(1),
  })
  .strict();

/**
 * Options of the generic line driver (the `line:` block of a device), for a scale no driver knows: a regular
 * expression with named parts reads each line. The weight is required; the unit is a part or fixed; stability
 * must be said one way or the other (a reading is stable only when the scale says so).
 */
export const lineConfigSchema = z
  .object({
    /**
     * A JavaScript regular expression matched against each line (CR LF removed, 7-bit), with named parts:
     * `(?<weight>…)` required, `(?<unit>…)` unless `unit` is set, and those `stable`, `moving`, `net` name.
     */
    pattern: z.string().min(1),
    /** The unit when the line has none. */
    unit: z.enum(['kg', 'g', 'lb', 't']).optional(),
    /** Stable when this part has one of these values (and only then). */
    stable: partValues.optional(),
    /** Moving when this part has one of these values; stable otherwise (a `?` marker, say). */
    moving: partValues.optional(),
    /** Net when this part has one of these values; gross otherwise. */
    net: partValues.optional(),
    /** Over capacity when this part has one of these values, whatever the weight part holds. */
    overload: partValues.optional(),
    /** Under capacity when this part has one of these values. */
    underload: partValues.optional(),
    /** What ends a line. */
    end: z.enum(['\r\n', '\r', '\n']).default('\r\n'),
    /** A line longer than this without its end is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(256),
  })
  .strict()
  .superRefine((c, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(c.pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a regular expression: ${(err as Error).message}` });
      return;
    }
    const parts = new Set(Object.keys(new RegExp(`${re.source}|`).exec('')?.groups ?? {}));
    if (!parts.has('weight')) ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'the pattern needs a (?<weight>…) part' });
    if (!parts.has('unit') && !c.unit) ctx.addIssue({ code: 'custom', path: ['unit'], message: 'the pattern has no (?<unit>…) part: give the unit' });
    if (!c.stable && !c.moving) {
      ctx.addIssue({ code: 'custom', path: ['stable'], message: 'say how the scale marks a stable (stable:) or a moving (moving:) weight: a weighing is only taken when stable' });
    }
    for (const key of ['stable', 'moving', 'net', 'overload', 'underload'] as const) {
      const part = c[key]?.part;
      if (part && !parts.has(part)) ctx.addIssue({ code: 'custom', path: [key, 'part'], message: `the pattern has no (?<${part}>…) part` });
    }
  });

export type LineConfig = z.infer<typeof lineConfigSchema>;
export type LineConfigInput = z.input<typeof lineConfigSchema>;

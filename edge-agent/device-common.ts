import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { visitsConfigSchema } from './counters/door-counter.js';

const weighingRulesSchema = z
  .object({
    /** The smallest load that makes a weighing. */
    minKg: z.number().positive().max(100).default(0.2),
    /** Back within this band around zero, the scale is ready for the next load. */
    rearmBelowKg: z.number().positive().max(10).default(0.05),
    /**
     * `bon`: the counter runs bons on the kiosk, and a load becomes a line of the open bon once a category is
     * tapped for it. `continuous`: every load is taken with the selected category, no bon (a scale alone).
     */
    capture: z.enum(['bon', 'continuous']).default('bon'),
    /** The scale's capacity: a heavier load is refused with that reason (default: the scale's own overload). */
    maxKg: z.number().positive().max(100_000).optional(),
    /** Continuous capture: the direction of every load (on the kiosk, the bon decides). */
    direction: z.enum(['in', 'out']).default('in'),
    /** The category selected at start, until the counter picks another (continuous capture). */
    defaultCategory: slug.default('autre'),
    /** How goods came in (direction in). */
    collectType: slug.default('apport-volontaire'),
    /** Where goods go (direction out). */
    destination: slug.optional(),
  })
  .strict()
  .refine((r) => r.rearmBelowKg < r.minKg, { message: 'rearmBelowKg must be smaller than minKg', path: ['rearmBelowKg'] })
  .refine((r) => r.direction === 'in' || r.destination, { message: 'an outgoing scale needs a destination', path: ['destination'] });

const liveSchema = z
  .object({ maxHz: z.number().positive().max(5).default(5) })
  .strict()
  .prefault({});

/** What every scale has, whatever its driver: an id, the weighing rules, the live rate. */
const scaleCommon = {
  id: slug,
  type: z.literal('scale'),
  weighing: weighingRulesSchema.prefault({}),
  live: liveSchema,
};

/** What every door counter has: an id and its bucketing and delta rules. */
const counterCommon = {
  id: slug,
  type: z.literal('counter'),
  visits: visitsConfigSchema.prefault({}),
};

/** The keys of a device entry that do not depend on its driver, by kind of device. */
export const deviceCommon = { scale: scaleCommon, counter: counterCommon };

export type DeviceKind = keyof typeof deviceCommon;

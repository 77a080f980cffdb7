import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { DEFAULT_CATEGORIES } from '../protocol/taxonomy.js';
import { httpListenSchema, mqttConnectionSchema } from '../runtime/connections.js';
import { stgsConfigSchema } from './drivers/stgs/config.js';
import { transportSchema } from './transport/config.js';

const weighingRulesSchema = z
  .object({
    /** The smallest load that makes a weighing. */
    minKg: z.number().positive().max(100).default(0.2),
    /** Back within this band around zero, the scale is ready for the next load. */
    rearmBelowKg: z.number().positive().max(10).default(0.05),
    direction: z.enum(['in', 'out']).default('in'),
    /** The category selected at start, until the counter picks another. */
    defaultCategory: slug.default('autre'),
    /** How goods came in (direction in). */
    collectType: slug.default('apport-volontaire'),
    /** Where goods go (direction out). */
    destination: slug.optional(),
  })
  .strict()
  .refine((r) => r.rearmBelowKg < r.minKg, { message: 'rearmBelowKg must be smaller than minKg', path: ['rearmBelowKg'] })
  .refine((r) => r.direction === 'in' || r.destination, { message: 'an outgoing scale needs a destination', path: ['destination'] });

export const scaleDeviceSchema = z
  .object({
    id: slug,
    type: z.literal('scale'),
    driver: z.literal('stgs'),
    transport: transportSchema,
    stgs: stgsConfigSchema.prefault({}),
    weighing: weighingRulesSchema.prefault({}),
    live: z
      .object({ maxHz: z.number().positive().max(5).default(5) })
      .strict()
      .prefault({}),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    site: slug.default('ma-ressourcerie'),
    agent: slug.default('comptoir'),
    mqtt: mqttConnectionSchema.prefault({}),
    /** The agent's local HTTP endpoint (category selection, device state); loopback by default. */
    http: httpListenSchema(8081).prefault({}),
    /** Category ids the counter may select. */
    categories: z.array(slug).min(1).default(DEFAULT_CATEGORIES.map((c) => c.id)),
    devices: z.array(scaleDeviceSchema).default([]),
    clock: z.enum(['auto', 'assume-synced']).default('auto'),
    healthIntervalS: z.number().int().min(1).max(3600).default(30),
    receipts: z
      .object({
        /** Resend an event that has no receipt after this long, then back off exponentially. */
        timeoutMs: z.number().int().min(100).default(10_000),
        maxBackoffMs: z.number().int().min(1000).default(300_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id "${d.id}" is used twice` });
      seen.add(d.id);
      if (!c.categories.includes(d.weighing.defaultCategory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'weighing', 'defaultCategory'],
          message: `unknown category; use one of ${c.categories.join(', ')}`,
        });
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type ScaleDeviceConfig = z.infer<typeof scaleDeviceSchema>;

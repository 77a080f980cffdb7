import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { httpListenSchema, mqttConnectionSchema, timeZoneSchema } from '../runtime/connections.js';
import { refineOneTaxonomy, siteTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';
import { visitsConfigSchema } from './counters/door-counter.js';
import { modbusCounterConfigSchema } from './drivers/modbus-counter/config.js';
import { modbusScaleConfigSchema } from './drivers/modbus-scale/config.js';
import { mtSicsConfigSchema } from './drivers/mt-sics/config.js';
import { sartoriusConfigSchema } from './drivers/sartorius/config.js';
import { serialCounterConfigSchema } from './drivers/serial-counter/config.js';
import { smaConfigSchema } from './drivers/sma/config.js';
import { stgsConfigSchema } from './drivers/stgs/config.js';
import { toledoConfigSchema } from './drivers/toledo/config.js';
import { modbusBusSchema } from './modbus/config.js';
import { transportSchema } from './transport/config.js';

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

/**
 * Devices, told apart by `driver`. A serial driver has a `transport` and its options under a key of its
 * own name; a Modbus device names its bus. Each driver's options schema lives in the driver's folder.
 */
export const deviceSchema = z.discriminatedUnion('driver', [
  z.object({ ...scaleCommon, driver: z.literal('stgs'), transport: transportSchema, stgs: stgsConfigSchema.prefault({}) }).strict(),
  z.object({ ...scaleCommon, driver: z.literal('mt-sics'), transport: transportSchema, mtSics: mtSicsConfigSchema.prefault({}) }).strict(),
  z.object({ ...scaleCommon, driver: z.literal('toledo'), transport: transportSchema, toledo: toledoConfigSchema.prefault({}) }).strict(),
  z.object({ ...scaleCommon, driver: z.literal('sartorius'), transport: transportSchema, sartorius: sartoriusConfigSchema.prefault({}) }).strict(),
  z.object({ ...scaleCommon, driver: z.literal('sma'), transport: transportSchema, sma: smaConfigSchema.prefault({}) }).strict(),
  z.object({ ...scaleCommon, driver: z.literal('modbus-scale'), modbus: modbusScaleConfigSchema }).strict(),
  z.object({ ...counterCommon, driver: z.literal('modbus-counter'), modbus: modbusCounterConfigSchema }).strict(),
  z.object({ ...counterCommon, driver: z.literal('serial-counter'), transport: transportSchema, serialCounter: serialCounterConfigSchema.prefault({}) }).strict(),
]);

export const kioskConfigSchema = z
  .object({
    /** A tapped category waits this long for a moving scale to settle, then the line is refused as unstable. */
    stableTimeoutS: z.number().positive().max(120).default(10),
    /** Closed and abandoned bons kept on the kiosk for a look back. */
    recentBons: z.number().int().min(0).max(100).default(10),
  })
  .strict()
  .prefault({});

export const agentConfigSchema = z
  .object({
    site: slug.default('ma-ressourcerie'),
    agent: slug.default('comptoir'),
    mqtt: mqttConnectionSchema.prefault({}),
    /** The agent's local HTTP endpoint (category selection, device state); loopback by default. */
    http: httpListenSchema(8081).prefault({}),
    /** The site's name for people, shown on the kiosk (the dashboards have theirs in `site.name`). */
    siteName: z.string().min(1).max(100).optional(),
    /**
     * The site's IANA time zone (the same as the dashboards' `site.timeZone`): the kiosk shows its times on the
     * site's clock, whatever the tablet's or the Pi's zone, and the counter's day (bon ids and numbers) is the site's.
     */
    timeZone: timeZoneSchema.default('Europe/Paris'),
    /** A demonstration (`trebuchet up --demo`): the kiosk says so, so that nobody weighs real goods on it. */
    demo: z.boolean().default(false),
    ...taxonomyConfigKeys,
    kiosk: kioskConfigSchema,
    /** Where the agent keeps its state (door counters' last raw values and open buckets). */
    dataDir: z.string().default('data/agent'),
    /** RS-485 lines and Modbus TCP endpoints shared by Modbus devices. */
    modbus: z
      .object({ buses: z.array(modbusBusSchema).default([]) })
      .strict()
      .prefault({}),
    devices: z.array(deviceSchema).default([]),
    clock: z.enum(['auto', 'assume-synced']).default('auto'),
    healthIntervalS: z.number().int().min(1).max(3600).default(30),
    outbox: z
      .object({
        /** Bound on the outbox on disk; when full, new events are refused (loudly, in health), old ones are never dropped. */
        maxBytes: z.number().int().min(1024 * 1024).default(1024 ** 3),
      })
      .strict()
      .prefault({}),
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
    refineOneTaxonomy(c, ctx);
    const categories = siteTaxonomy(c).categories.filter((x) => !x.retired).map((x) => x.id);
    const seen = new Set<string>();
    const buses = new Set<string>();
    c.modbus.buses.forEach((b, i) => {
      if (buses.has(b.id)) ctx.addIssue({ code: 'custom', path: ['modbus', 'buses', i, 'id'], message: `bus id "${b.id}" is used twice` });
      buses.add(b.id);
    });
    c.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id "${d.id}" is used twice` });
      seen.add(d.id);
      if ('modbus' in d && !buses.has(d.modbus.bus)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'modbus', 'bus'],
          message: `no bus "${d.modbus.bus}" in modbus.buses (${[...buses].join(', ') || 'none defined'})`,
        });
      }
      if (d.type === 'scale' && !categories.includes(d.weighing.defaultCategory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'weighing', 'defaultCategory'],
          message: `unknown category; use one of ${categories.join(', ')}`,
        });
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type ScaleDeviceConfig = Extract<DeviceConfig, { type: 'scale' }>;
export type CounterDeviceConfig = Extract<DeviceConfig, { type: 'counter' }>;

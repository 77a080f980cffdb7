import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { httpListenSchema, mqttConnectionSchema, timeZoneSchema } from '../runtime/connections.js';
import { refineOneTaxonomy, siteTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';
import { deviceSchemas } from './drivers/definition.js';
import { drivers } from './drivers/index.js';
import { modbusBusSchema } from './modbus/config.js';

/**
 * Devices, told apart by `driver`: one entry schema per driver of `drivers/index.ts`. A serial driver has a
 * `transport` and its options under a key of its own; a Modbus device names its bus. Each driver's options
 * schema lives in the driver's folder, the keys every scale or counter has in `device-common.ts`.
 */
export const deviceSchema = z.discriminatedUnion('driver', deviceSchemas(drivers));

export const kioskConfigSchema = z
  .object({
    /** A tapped category waits this long for a moving scale to settle, then the line is refused as unstable. */
    stableTimeoutS: z.number().positive().max(120).default(10),
    /** Closed and abandoned bons kept on the kiosk for a look back. */
    recentBons: z.number().int().min(0).max(100).default(10),
  })
  .strict()
  .prefault({});

/** The agent's HTTP listener: where the kiosk and the control API answer, and under which names. */
export const agentHttpSchema = httpListenSchema(8081).extend({
  /**
   * Names the kiosk's browser uses for this Pi (`comptoir.local`), besides its IP addresses and `localhost`:
   * a request naming another host is refused, so that a web page cannot reach the agent by DNS rebinding.
   */
  allowedHosts: z
    .array(z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name, without scheme nor port'))
    .max(32)
    .default([]),
});

export const agentConfigSchema = z
  .object({
    site: slug.default('ma-ressourcerie'),
    agent: slug.default('comptoir'),
    mqtt: mqttConnectionSchema.prefault({}),
    /** The agent's local HTTP endpoint (category selection, device state, the kiosk); loopback by default. */
    http: agentHttpSchema.prefault({}),
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
        /**
         * Events sent and awaiting their receipt at most: a backlog drains a window at a time
         * (edge-agent/outbox/pending-events.ts). Two of ingest's bursts (10 batches of 1,000 points): one
         * arrives while the one before is written.
         */
        maxInFlight: z.number().int().min(100).default(20_000),
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
export type { CounterDeviceConfig, DeviceConfig, ScaleDeviceConfig } from './drivers/index.js';

import { z } from 'zod';
import { slug } from '../protocol/index.js';
import { influxConnectionSchema, mqttConnectionSchema, timeZoneSchema } from '../runtime/connections.js';

export const ingestConfigSchema = z
  .object({
    mqtt: mqttConnectionSchema.prefault({}),
    influx: influxConnectionSchema.prefault({}),
    batch: z
      .object({
        /** A batch is written when it holds this many points… */
        maxPoints: z.number().int().min(1).max(50_000).default(1000),
        /** …or when its oldest point has waited this long: the latency bound of a weighing. */
        maxWaitMs: z.number().int().min(1).max(60_000).default(100),
        /** Points held until their receipts (unwritten, or awaiting their rollups); beyond, messages are left to the agents' resend. */
        maxBufferedPoints: z.number().int().min(1).default(100_000),
        /**
         * The rollups of each settle are synced once more this long after it (ingest/second-look.ts). It
         * must exceed the time a write already sent can take to land: InfluxDB 1.x applies a write within
         * its `write-timeout` (10 s by default) or fails it.
         */
        secondLookMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /** Refuse events captured further ahead of ingest's clock than this (a Pi whose clock jumped). */
    maxFutureMs: z.number().int().min(0).default(10 * 60_000),
    /** Refuse events captured before this date, whatever the agent says (a Pi that booted in 1970). */
    earliestCaptureAt: z.iso.datetime({ offset: true }).default('2020-01-01T00:00:00Z'),
    /**
     * The time zone whose local days the rollups are cut on (storage/rollups.ts): it must be the one the
     * dashboards show the site in. `sites` gives another one to a site of the network that needs it.
     */
    timeZone: timeZoneSchema.default('Europe/Paris'),
    sites: z.record(slug, z.object({ timeZone: timeZoneSchema }).strict()).default({}),
    /**
     * Offer every agent that comes online to send its backlog in batches (`batch` messages, ingest/offer.ts).
     * Off, each event travels as its own message, as with agents older than the offer: for a tool of the
     * site's own that reads the `weighing` topics and not yet `batch`. Batches are read either way.
     */
    offerBatches: z.boolean().default(true),
    /** MQTT shared-subscription group, so several ingest instances split the load. Empty: none. */
    sharedGroup: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
  })
  .strict();

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

/** The time zone of a site's local days, as the rollups cut them. */
export function siteTimeZone(config: Pick<IngestConfig, 'timeZone' | 'sites'>, site: string): string {
  return config.sites[site]?.timeZone ?? config.timeZone;
}

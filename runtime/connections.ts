import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { isLoopbackHost } from './loopback.js';

/** The host of an MQTT URL (mqtt://h:1883, wss://h/mqtt, [::1]), without brackets. */
function urlHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

/** How a component reaches the MQTT broker. The password may come from the environment instead. */
export const mqttConnectionSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an MQTT URL such as mqtt://127.0.0.1:1883').default('mqtt://127.0.0.1:1883'),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Path of the credentials file written by the broker at first start (or by `agent join`); used when no password is given. */
    credentialsFile: z.string().optional(),
    /**
     * The CA to trust for mqtts:// and wss://, and only it (PEM; `agent join` writes the broker's). Without
     * it, the system's public CAs: right for a broker with a Let's Encrypt certificate.
     */
    caFile: z.string().min(1).optional(),
    /** Plain MQTT (mqtt://, ws://) to another machine sends the password in clear: refused unless this says so. */
    allowPlaintext: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.allowPlaintext || /^(mqtts|wss):/.test(c.url) || isLoopbackHost(urlHost(c.url)), {
    path: ['url'],
    message: 'plain MQTT to another machine sends the password in clear: use mqtts:// (or wss://) with the broker\'s CA in caFile, or set allowPlaintext: true on a network you trust',
  });
export type MqttConnection = z.infer<typeof mqttConnectionSchema>;

/**
 * How a component reaches InfluxDB. `version` picks the backend (storage/open-store.ts):
 * - 1 (default): InfluxDB 1.x, `url` and `database`. The password is best kept out of the YAML: in a 0600
 *   `credentialsFile` ({"influx": {"username", "password"}}, the file `trebuchet up` generates for its own
 *   InfluxDB) or in TREBUCHET_INFLUX_PASSWORD. No user at all: an InfluxDB without authentication.
 * - 2: InfluxDB 2.x or Cloud, `url`, `org` and `bucket`; `database` is the name InfluxQL reads it by
 *   (a DBRP mapping, created or checked at start).
 * - 3: InfluxDB 3 Core or Enterprise, `url` and `database`.
 * For 2 and 3 the token comes from TREBUCHET_INFLUX_TOKEN or a 0600 `tokenFile`, never from the YAML,
 * which gets copied around.
 */
export const influxConnectionSchema = z
  .object({
    version: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
    url: z.url().default('http://127.0.0.1:8086'),
    database: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('trebuchet'),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    credentialsFile: z.string().min(1).optional(),
    org: z.string().min(1).optional(),
    bucket: z.string().min(1).optional(),
    /** 2.x: the bucket rollups go in (kept forever); by default the raw data's bucket. */
    rollupBucket: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    /** Refused with the reason, rather than as an unknown key. */
    token: z.unknown().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const refuse = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    if (c.token !== undefined) refuse('token', 'pas de jeton dans le YAML : TREBUCHET_INFLUX_TOKEN ou tokenFile (0600) / no token in YAML: use TREBUCHET_INFLUX_TOKEN or a 0600 tokenFile');
    if (c.version === 1) {
      for (const key of ['org', 'bucket', 'rollupBucket', 'tokenFile'] as const) if (c[key] !== undefined) refuse(key, `${key} is for InfluxDB 2.x or 3.x: set version: 2 or 3`);
      return;
    }
    for (const key of ['username', 'password', 'credentialsFile'] as const) if (c[key] !== undefined) refuse(key, `InfluxDB ${c.version}.x authenticates with a token (TREBUCHET_INFLUX_TOKEN or tokenFile), not ${key}`);
    if (c.version === 2) {
      if (!c.org) refuse('org', 'InfluxDB 2.x needs its organisation: org');
      if (!c.bucket) refuse('bucket', 'InfluxDB 2.x needs the bucket to write to: bucket');
    } else {
      for (const key of ['org', 'bucket', 'rollupBucket'] as const) if (c[key] !== undefined) refuse(key, `InfluxDB 3.x has databases, not ${key}: set database`);
    }
  });
export type InfluxConnection = z.infer<typeof influxConnectionSchema>;

export const httpListenSchema = (defaultPort: number) =>
  z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(defaultPort),
    })
    .strict();

/** Offsets (minutes) a zone takes over the years around now: both sides of DST, and past rule changes. */
function offsetsOf(timeZone: string): number[] {
  const year = new Date().getUTCFullYear();
  const offsets: number[] = [];
  for (let y = year - 10; y <= year + 1; y++) {
    for (const month of [1, 7]) offsets.push(DateTime.fromObject({ year: y, month, day: 1 }, { zone: timeZone }).offset);
  }
  return offsets;
}

/**
 * An IANA time zone. Its UTC offsets must be whole hours: visitors are rolled up by UTC hour and a local
 * day is a sum of them (ingest/rollups.ts). Every zone of France, overseas included, qualifies except the
 * Marquesas (−9:30).
 */
export const timeZoneSchema = z
  .string()
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'must be an IANA time zone such as Europe/Paris', abort: true })
  .refine((tz) => offsetsOf(tz).every((m) => m % 60 === 0), {
    message: 'has a UTC offset that is not a whole number of hours; Trébuchet rolls visitors up by the hour and needs whole-hour offsets',
  });

export const siteSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a slug: a-z, 0-9 and "-"').default('ma-ressourcerie'),
    name: z.string().min(1).max(100).default('Ma ressourcerie'),
    timeZone: timeZoneSchema.default('Europe/Paris'),
  })
  .strict();
export type SiteConfig = z.infer<typeof siteSchema>;

import { z } from 'zod';

/** Site, agent, device, category… ids: short lowercase slugs, safe in MQTT topics and InfluxDB tags. */
export const SLUG_PATTERN = /^[a-z0-9-]{1,32}$/;

export const slug = z
  .string()
  .regex(SLUG_PATTERN, 'must be a slug: 1 to 32 characters among a-z, 0-9 and "-"');

/** Event ids are UUIDs generated at capture; they travel as InfluxDB fields, never tags. */
export const eventId = z.uuid();

export type Slug = z.infer<typeof slug>;

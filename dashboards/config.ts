import { z } from 'zod';
import { httpListenSchema, influxConnectionSchema, mqttConnectionSchema, siteSchema } from '../runtime/connections.js';
import { refineOneTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';
import { DEFAULT_USERS_FILE } from './auth/users-file.js';

/** The dashboards process: where it listens, the broker it reads live data from, the InfluxDB it reads history from, who may sign in. */
export const dashboardsConfigSchema = z
  .object({
    http: httpListenSchema(8080).prefault({}),
    mqtt: mqttConnectionSchema.prefault({}),
    influx: influxConnectionSchema.prefault({}),
    site: siteSchema.prefault({}),
    /** The managers' accounts (made with `trebuchet user add`), and the session secret beside it. */
    usersFile: z.string().min(1).default(DEFAULT_USERS_FILE),
    ...taxonomyConfigKeys,
  })
  .strict()
  .superRefine(refineOneTaxonomy);

export type DashboardsConfig = z.infer<typeof dashboardsConfigSchema>;
export type DashboardsConfigInput = z.input<typeof dashboardsConfigSchema>;

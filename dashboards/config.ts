import { z } from 'zod';
import { httpListenSchema, influxConnectionSchema, mqttConnectionSchema, siteSchema, type SiteConfig } from '../runtime/connections.js';
import { refineOneTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';
import { DEFAULT_USERS_FILE } from './auth/users-file.js';

/** The dashboards process: where it listens, the broker it reads live data from, the InfluxDB it reads history from, who may sign in. */
export const dashboardsConfigSchema = z
  .object({
    http: httpListenSchema(8080).prefault({}),
    mqtt: mqttConnectionSchema.prefault({}),
    influx: influxConnectionSchema.prefault({}),
    site: siteSchema.prefault({}),
    /**
     * The other sites of the network this server also shows (same InfluxDB): the site selector offers each,
     * and the whole network. Each site's days are its own local days.
     */
    sites: z.array(siteSchema).max(200).default([]),
    /** What the site selector calls the whole network. */
    networkName: z.string().min(1).max(100).default('Tout le réseau'),
    /** A demonstration (`trebuchet up --demo`): every page, the login one too, says the figures are simulated. */
    demo: z.boolean().default(false),
    /** The managers' accounts (made with `trebuchet user add`), and the session secret beside it. */
    usersFile: z.string().min(1).default(DEFAULT_USERS_FILE),
    ...taxonomyConfigKeys,
  })
  .strict()
  .superRefine((c, ctx) => {
    refineOneTaxonomy(c, ctx);
    c.sites.forEach((s, i) => {
      if (s.id === c.site.id || c.sites.findIndex((o) => o.id === s.id) < i) ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `"${s.id}" is listed twice` });
    });
  });

export type DashboardsConfig = z.infer<typeof dashboardsConfigSchema>;
export type DashboardsConfigInput = z.input<typeof dashboardsConfigSchema>;

/** The sites a dashboards server shows: its own first, then the rest of the network. */
export function servedSites(config: Pick<DashboardsConfig, 'site' | 'sites'>): SiteConfig[] {
  return [config.site, ...config.sites];
}

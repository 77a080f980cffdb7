import { isIP } from 'node:net';
import { z } from 'zod';
import { httpListenSchema, influxConnectionSchema, mqttConnectionSchema, siteSchema, type SiteConfig } from '../runtime/connections.js';
import { refineOneTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';
import { DEFAULT_USERS_FILE } from './auth/users-file.js';

/** An address (`127.0.0.1`, `::1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(value: string): boolean {
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** Where the dashboards listen, over HTTPS with their own certificate or behind a reverse proxy. */
export const dashboardsHttpSchema = httpListenSchema(8080).extend({
  /** PEM files (Let's Encrypt's fullchain.pem and privkey.pem work); a renewal is taken without a restart. */
  https: z
    .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
    .strict()
    .optional(),
  /**
   * The reverse proxies in front (addresses or CIDR ranges): only their X-Forwarded-For and X-Forwarded-Proto
   * are believed. Not `true`: every client could then forge its address past the sign-in limit.
   */
  trustProxy: z
    .union([z.literal(false), z.array(z.string().refine(isAddressOrRange, 'must be an IP address or a CIDR range such as 10.0.0.0/8')).min(1).max(50)], {
      error: "false, or the list of the reverse proxies' addresses such as [127.0.0.1] (true is not taken: every client could forge its address)",
    })
    .default(false),
});

/** The dashboards process: where it listens, the broker it reads live data from, the InfluxDB it reads history from, who may sign in. */
export const dashboardsConfigSchema = z
  .object({
    http: dashboardsHttpSchema.prefault({}),
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

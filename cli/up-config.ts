import { join, resolve } from 'node:path';
import { z } from 'zod';
import { brokerConfigSchema, brokerNetworkKeys, type BrokerConfig } from '../broker/config.js';
import { dashboardsHttpSchema } from '../dashboards/config.js';
import { agentHttpSchema, deviceSchema, kioskConfigSchema } from '../edge-agent/config.js';
import { modbusBusSchema } from '../edge-agent/modbus/config.js';
import { stgsFormats } from '../edge-agent/drivers/stgs/config.js';
import { slug } from '../protocol/index.js';
import { siteSchema } from '../runtime/connections.js';
import { refineOneTaxonomy, taxonomyConfigKeys } from '../runtime/taxonomy-config.js';

const port = (p: number) => z.number().int().min(0).max(65_535).default(p);

/**
 * `trebuchet up`: the whole system on one machine. Every key has a working default, so a fresh
 * install starts with no config file at all; ports avoid a system InfluxDB (8086) that may already run.
 */
export const upConfigSchema = z
  .object({
    dataDir: z.string().default('data'),
    /**
     * A demonstration (`up --demo`): the same system on a data folder of its own, `<dataDir>-demo`, never the
     * real one, filled with a calibrated past year and this year to date; the pages say it is one.
     */
    demo: z.boolean().default(false),
    site: siteSchema.prefault({}),
    agent: slug.default('comptoir'),
    /**
     * The agent of this machine (with no `devices:`, a simulated shop). A server that only receives the shops'
     * agents over the network sets false: no agent, no simulation, only InfluxDB, broker, ingest and dashboards.
     */
    localAgent: z.boolean().default(true),
    influx: z
      .object({
        /** Start our own influxd with its data in dataDir/influxdb. Set false to use `url` instead. */
        managed: z.boolean().default(true),
        httpPort: port(18086),
        rpcPort: port(18088),
        url: z.url().optional(),
        database: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('trebuchet'),
        /**
         * With managed: false, your InfluxDB's user (as in ingest's config): the password best in a 0600
         * credentialsFile or TREBUCHET_INFLUX_PASSWORD. Our own influxd's admin and password are generated
         * at its first start, in dataDir/influxdb/credentials.json.
         */
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        credentialsFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({})
      .refine((i) => i.managed || i.url, { message: 'with managed: false, give the url of your InfluxDB', path: ['url'] })
      .refine((i) => !i.managed || (!i.username && !i.password && !i.credentialsFile), {
        message:
          "avec managed: true, trebuchet up génère lui-même l'utilisateur d'InfluxDB (dataDir/influxdb/credentials.json) / with managed: true, trebuchet up generates InfluxDB's user itself (dataDir/influxdb/credentials.json): remove username, password and credentialsFile",
      }),
    /**
     * The embedded broker: its plain listener (host, port: loopback, for this machine's components) and, for
     * agents on other machines, its TLS and HTTPS (WebSocket and enrolment) listeners, as in a broker's config.
     */
    broker: z
      .object({ host: z.string().default('127.0.0.1'), port: port(1883), ...brokerNetworkKeys })
      .strict()
      .prefault({}),
    /** The dashboards' listener, as in their config (`http`): address, port, `https` files and `trustProxy`. */
    dashboards: dashboardsHttpSchema.prefault({}),
    /** The agent's HTTP listener, as in the agent's config (`http`): address, port and the names it answers to. */
    agentHttp: agentHttpSchema.prefault({}),
    ...taxonomyConfigKeys,
    /** The counter's kiosk (as in the agent's config). */
    kiosk: kioskConfigSchema,
    /** Real devices (as in the agent's config). When there are none, a simulated scale, door counter and attendant run instead. */
    devices: z.array(deviceSchema).default([]),
    /** RS-485 lines and Modbus TCP endpoints of Modbus devices (as in the agent's config). */
    modbus: z
      .object({ buses: z.array(modbusBusSchema).default([]) })
      .strict()
      .prefault({}),
    simulation: z
      .object({
        /** Frame format of the simulated ST,GS scale. */
        format: z.enum(stgsFormats).exclude(['auto']).default('ad-indicator'),
        /**
         * The simulated shop's pace against real time: 1 (the default) is docs/domain.md's, ≈ 995 kg and ≈ 185
         * customers in an 8-hour open day; 60 plays a day in 24 minutes, for a demonstration in a hurry.
         */
        speed: z.number().positive().max(10_000).default(1),
        seed: z.number().int().optional(),
        /** `bon`: the simulated scale is weighed on through the kiosk; `continuous`: every load is taken, no bon. */
        capture: z.enum(['bon', 'continuous']).default('bon'),
        /** The simulated scale's maximum for the kiosk (its platform shows overload above 150 kg). */
        maxKg: z.number().positive().max(150).default(150),
        /** How long a box waits on the scale for someone at the kiosk to tap its category. */
        humanWaitS: z.number().positive().max(600).default(45),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine(refineOneTaxonomy);

export type UpConfig = z.infer<typeof upConfigSchema>;
export type UpConfigInput = z.input<typeof upConfigSchema>;

/** Where the managed influxd of an `up` system keeps its data, and its generated admin's credentials file. */
export function upInfluxDir(config: Pick<UpConfig, 'dataDir'>): string {
  return join(resolve(config.dataDir), 'influxdb');
}

/** The dashboards' accounts of an `up` system: in its data folder, where `trebuchet user -c up.yaml` finds them too. */
export function upUsersFile(config: Pick<UpConfig, 'dataDir'>): string {
  return join(resolve(config.dataDir), 'dashboards', 'users.json');
}

/** The embedded broker's config of an `up` system: where `trebuchet agent enroll -c up.yaml` finds the same users. */
export function upBrokerConfig(config: Pick<UpConfig, 'dataDir' | 'broker' | 'site' | 'agent' | 'localAgent'>, dataDir = resolve(config.dataDir)): BrokerConfig {
  const { host, port, ...network } = config.broker;
  return brokerConfigSchema.parse({ listen: { host, port }, ...network, dataDir, agents: config.localAgent ? [{ site: config.site.id, agent: config.agent }] : [] });
}

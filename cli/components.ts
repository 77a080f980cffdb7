import type { z } from 'zod';
import { brokerConfigSchema } from '../broker/config.js';
import { dashboardsConfigSchema } from '../dashboards/config.js';
import { agentConfigSchema } from '../edge-agent/config.js';
import { simConfigSchema } from '../firmware-sim/sim-config.js';
import { ingestConfigSchema } from '../ingest/config.js';
import type { InfluxConnection } from '../runtime/connections.js';
import type { Logger } from '../runtime/log.js';
import { upConfigSchema } from './up-config.js';

type Start<S extends z.ZodType> = (config: z.infer<S>, log: Logger) => Promise<{ stop(): Promise<void> }>;

export interface Component<S extends z.ZodType> {
  summary: string;
  schema: S;
  /** Loaded on demand: the agent on a Pi never loads the broker, the InfluxDB client or the dashboards. */
  load(): Promise<Start<S>>;
}

function component<S extends z.ZodType>(c: Component<S>): Component<S> {
  return c;
}

/** A component that refuses to start when InfluxDB refuses its user: the error names the fix. */
async function checkingInflux<C extends { influx: InfluxConnection }>(start: Start<z.ZodType<C>>): Promise<Start<z.ZodType<C>>> {
  const { openStore } = await import('../storage/open-store.js');
  return async (config, log) => {
    await openStore(config.influx, { requestTimeoutMs: 5_000 }).checkAccess();
    return start(config, log);
  };
}

/** Every process kind `trebuchet` can run, with its config schema. */
export const components = {
  up: component({
    summary: 'the whole system on this machine: InfluxDB, broker, ingest, dashboards, and an agent (simulated scale if no device is configured)',
    schema: upConfigSchema,
    load: async () => (await import('./up.js')).startUp,
  }),
  agent: component({
    summary: 'the edge agent: device drivers, weighings, MQTT link (runs on the Raspberry Pi)',
    schema: agentConfigSchema,
    load: async () => (await import('../edge-agent/agent.js')).startAgent,
  }),
  broker: component({
    summary: 'the embedded MQTT broker (aedes) with generated credentials',
    schema: brokerConfigSchema,
    load: async () => (await import('../broker/broker.js')).startBroker,
  }),
  ingest: component({
    summary: 'MQTT → validation → InfluxDB, with receipts to the agents',
    schema: ingestConfigSchema,
    load: async () => checkingInflux((await import('../ingest/ingest.js')).startIngest),
  }),
  dashboards: component({
    summary: 'the web dashboards and their API',
    schema: dashboardsConfigSchema,
    load: async () => checkingInflux((await import('../dashboards/server.js')).startDashboards),
  }),
  sim: component({
    summary: 'a simulated scale (TCP or serial pty) and a counter attendant dropping goods on it',
    schema: simConfigSchema,
    load: async () => (await import('../firmware-sim/sim-command.js')).startSim,
  }),
};

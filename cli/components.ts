import type { z } from 'zod';
import type { InfluxConnection } from '../runtime/connections.js';
import type { Logger } from '../runtime/log.js';

type Start<S extends z.ZodType> = (config: z.infer<S>, log: Logger) => Promise<{ stop(): Promise<void> }>;

export interface Component<S extends z.ZodType> {
  summary: string;
  /**
   * Loaded on demand, as the component is: a schema imports what its config names (the agent's drivers,
   * ingest's storage, the dashboards' users), so the agent on a Pi never loads the others'.
   */
  schema(): Promise<S>;
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
    schema: async () => (await import('./up-config.js')).upConfigSchema,
    load: async () => (await import('./up.js')).startUp,
  }),
  agent: component({
    summary: 'the edge agent: device drivers, weighings, MQTT link (runs on the Raspberry Pi)',
    schema: async () => (await import('../edge-agent/config.js')).agentConfigSchema,
    load: async () => (await import('../edge-agent/agent.js')).startAgent,
  }),
  broker: component({
    summary: 'the embedded MQTT broker (aedes) with generated credentials',
    schema: async () => (await import('../broker/config.js')).brokerConfigSchema,
    load: async () => (await import('../broker/broker.js')).startBroker,
  }),
  ingest: component({
    summary: 'MQTT → validation → InfluxDB, with receipts to the agents',
    schema: async () => (await import('../ingest/config.js')).ingestConfigSchema,
    load: async () => checkingInflux((await import('../ingest/ingest.js')).startIngest),
  }),
  dashboards: component({
    summary: 'the web dashboards and their API',
    schema: async () => (await import('../dashboards/config.js')).dashboardsConfigSchema,
    load: async () => checkingInflux((await import('../dashboards/server.js')).startDashboards),
  }),
  sim: component({
    summary: 'a simulated scale (TCP or serial pty) and a counter attendant dropping goods on it',
    schema: async () => (await import('../firmware-sim/sim-config.js')).simConfigSchema,
    load: async () => (await import('../firmware-sim/sim-command.js')).startSim,
  }),
};

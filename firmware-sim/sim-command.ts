import type { Logger } from '../runtime/log.js';
import { Attendant, dropoffScenario, type CounterActions } from './scenarios/dropoff-scenario.js';
import { createPtyPair } from './common/pty-pair.js';
import type { SimulatedScaleBase } from './common/simulated-scale-base.js';
import type { SimConfig } from './sim-config.js';
import { TcpSerialServer } from './common/tcp-serial-server.js';
import { twins, type RunnableTwin } from './twins.js';


/**
 * The attendant's actions on a remote agent, over its HTTP API: on a scale in `bon` capture, it runs a
 * bon per donor through the kiosk API, as a person at the kiosk would; on a `continuous` scale, it selects
 * the category before each load. The agent may be down: the load still goes on the scale, as in a shop.
 */
export function httpCounter(agentUrl: string, device: string, log: Logger): CounterActions {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> } | undefined> => {
    try {
      const res = await fetch(new URL(path, agentUrl), {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(2000),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) log.warn({ status: res.status, path, error: json.error ?? json.message }, 'the agent refused');
      return { status: res.status, json };
    } catch (err) {
      log.warn({ err: (err as Error).message, path }, 'cannot reach the agent');
      return undefined;
    }
  };
  let capture: string | undefined;
  let bonId: string | undefined;
  return {
    async beginVisit() {
      if (!capture) {
        const devices = (await call('GET', '/api/v1/devices'))?.json as unknown as { id: string; capture?: string }[] | undefined;
        capture = Array.isArray(devices) ? devices.find((d) => d.id === device)?.capture : undefined;
      }
      if (capture !== 'bon') return;
      const opened = await call('POST', '/api/v1/kiosk/bons', { direction: 'in', collectType: 'apport-volontaire', by: 'simulation' });
      bonId = opened?.status === 201 ? String(opened.json.bonId) : undefined;
    },
    async pickCategory(category) {
      if (capture === 'bon') await call('POST', `/api/v1/kiosk/scales/${device}/category`, { category, by: 'simulation' });
      else await call('PUT', `/api/v1/devices/${device}/category`, { category });
    },
    async endVisit() {
      if (bonId) await call('POST', `/api/v1/kiosk/bons/${bonId}/close`, { by: 'simulation' });
      bonId = undefined;
    },
  };
}

/** The twin a config names; a scale also for the attendant to load. */
async function createTwin(config: SimConfig): Promise<{ device: RunnableTwin; scale?: SimulatedScaleBase }> {
  // The schema's enum of devices is the twins' drivers: there is one.
  const twin = twins.find((t) => t.driver === config.device)!;
  if (twin.kind === 'counter') return { device: await twin.create(config) };
  const scale = await twin.create(config);
  return { device: scale, scale };
}

export async function startSim(config: SimConfig, log: Logger): Promise<{ stop(): Promise<void> }> {
  const { device, scale } = await createTwin(config);
  let closeOutput: () => Promise<void>;
  if (config.output.type === 'tcp') {
    const server = await TcpSerialServer.listen(device, { host: config.output.host, port: config.output.port });
    log.info({ device: config.device, host: server.host, port: server.port }, `simulated ${config.device} serving on TCP (agent config: driver: ${config.device}, transport: {type: tcp})`);
    closeOutput = () => server.close();
  } else {
    const pty = await createPtyPair();
    await pty.attach(device);
    log.info({ device: config.device, devicePath: pty.devicePath }, `simulated ${config.device} on a pty (agent config: driver: ${config.device}, transport: {type: serial, path: <devicePath>})`);
    closeOutput = () => pty.close();
  }
  device.start();
  let attendant: Attendant | undefined;
  if (scale && config.attendant.enabled) {
    attendant = new Attendant(scale, httpCounter(config.attendant.agentUrl, config.attendant.device, log), {
      speed: config.attendant.speed,
      scenario: dropoffScenario({ days: Infinity, seed: config.attendant.seed ?? Date.now() % 1_000_000 }),
    });
    attendant.on('weighed', (_visit, w) => log.info({ category: w.categoryId, kg: w.kg }, 'simulated load weighed'));
    void attendant.run();
  }
  return {
    async stop() {
      await attendant?.stop();
      device.stop();
      await closeOutput();
    },
  };
}

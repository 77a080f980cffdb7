import type { Logger } from '../runtime/log.js';
import { Attendant, dropoffScenario } from './scenarios/dropoff-scenario.js';
import { createPtyPair } from './common/pty-pair.js';
import { SimulatedStgsScale } from './stgs/simulated-stgs-scale.js';
import type { SimConfig } from './sim-config.js';
import { TcpSerialServer } from './common/tcp-serial-server.js';


/** Taps a category on the agent, as a counter attendant (or the kiosk) does before a load. */
export function httpCategorySelector(agentUrl: string, device: string, log: Logger) {
  return async (category: string): Promise<void> => {
    try {
      const res = await fetch(new URL(`/api/v1/devices/${device}/category`, agentUrl), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ category }),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) log.warn({ status: res.status, body: await res.text() }, 'the agent refused the category');
    } catch (err) {
      // The agent may be down: the simulated load still goes on the scale, as it would in a shop.
      log.warn({ err: (err as Error).message }, 'cannot reach the agent to select the category');
    }
  };
}

export async function startSim(config: SimConfig, log: Logger): Promise<{ stop(): Promise<void> }> {
  const scale = new SimulatedStgsScale({ format: config.format });
  let closeOutput: () => Promise<void>;
  if (config.output.type === 'tcp') {
    const server = await TcpSerialServer.listen(scale, { host: config.output.host, port: config.output.port });
    log.info({ host: server.host, port: server.port, format: config.format }, 'simulated scale serving on TCP (transport: {type: tcp})');
    closeOutput = () => server.close();
  } else {
    const pty = await createPtyPair();
    await pty.attach(scale);
    log.info({ devicePath: pty.devicePath, format: config.format }, 'simulated scale on a pty (transport: {type: serial, path: <devicePath>})');
    closeOutput = () => pty.close();
  }
  scale.start();
  let attendant: Attendant | undefined;
  if (config.attendant.enabled) {
    attendant = new Attendant(scale, httpCategorySelector(config.attendant.agentUrl, config.attendant.device, log), {
      timeCompression: config.attendant.timeCompression,
      scenario: dropoffScenario({ days: Infinity, seed: config.attendant.seed ?? Date.now() % 1_000_000 }),
    });
    attendant.on('weighed', (_visit, w) => log.info({ category: w.categoryId, kg: w.kg }, 'simulated load weighed'));
    void attendant.run();
  }
  return {
    async stop() {
      await attendant?.stop();
      scale.stop();
      await closeOutput();
    },
  };
}

import type { Logger } from '../runtime/log.js';
import { Attendant, dropoffScenario } from './scenarios/dropoff-scenario.js';
import { createPtyPair } from './common/pty-pair.js';
import type { SimulatedDevice } from './common/sim-device.js';
import type { SimulatedScaleBase } from './common/simulated-scale-base.js';
import { SimulatedSerialCounter } from './counters/simulated-serial-counter.js';
import { SimulatedMtSicsScale } from './mt-sics/simulated-mt-sics-scale.js';
import { SimulatedSartoriusScale } from './sartorius/simulated-sartorius-scale.js';
import { SimulatedSmaScale } from './sma/simulated-sma-scale.js';
import { SimulatedStgsScale } from './stgs/simulated-stgs-scale.js';
import { SimulatedToledoScale } from './toledo/simulated-toledo-scale.js';
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

/** The twin a config names; a scale also for the attendant to load. */
function createTwin(config: SimConfig): { device: SimulatedDevice & { start(): void; stop(): void }; scale?: SimulatedScaleBase } {
  const scale = (s: SimulatedScaleBase) => ({ device: s, scale: s });
  switch (config.device) {
    case 'stgs':
      return scale(new SimulatedStgsScale({ format: config.format }));
    case 'mt-sics':
      return scale(new SimulatedMtSicsScale());
    case 'toledo':
      return scale(new SimulatedToledoScale());
    case 'sartorius':
      return scale(new SimulatedSartoriusScale());
    case 'sma':
      return scale(new SimulatedSmaScale());
    case 'serial-counter':
      return { device: new SimulatedSerialCounter({ timeScale: config.counterTimeScale }) };
  }
}

export async function startSim(config: SimConfig, log: Logger): Promise<{ stop(): Promise<void> }> {
  const { device, scale } = createTwin(config);
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
    attendant = new Attendant(scale, { pickCategory: httpCategorySelector(config.attendant.agentUrl, config.attendant.device, log) }, {
      timeCompression: config.attendant.timeCompression,
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

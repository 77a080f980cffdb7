import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { brokerConfigSchema } from '../broker/config.js';
import { dashboardsConfigSchema } from '../dashboards/config.js';
import { startDashboards } from '../dashboards/server.js';
import { startAgent, type RunningAgent } from '../edge-agent/agent.js';
import type { Clock } from '../edge-agent/clock.js';
import { agentConfigSchema, type DeviceConfig } from '../edge-agent/config.js';
import { Attendant, type CounterActions } from '../firmware-sim/scenarios/dropoff-scenario.js';
import { shopDays } from '../firmware-sim/scenarios/shop-day.js';
import type { SimulatedSerialCounter } from '../firmware-sim/counters/simulated-serial-counter.js';
import type { SimulatedStgsScale } from '../firmware-sim/stgs/simulated-stgs-scale.js';
import { ingestConfigSchema } from '../ingest/config.js';
import { startIngest, type RunningIngest } from '../ingest/ingest.js';
import { agentUsername } from '../protocol/index.js';
import type { Logger } from '../runtime/log.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';
import { openWhenRead, SIMULATED_DOOR_ID, SIMULATED_SCALE_ID, simulatedCounter, startSimulatedDevices, type SimulatedShop } from './up-simulation.js';
import { startManagedInfluxd } from '../runtime/managed-influxd.js';
import { upBrokerConfig, upInfluxDir, upUsersFile, type UpConfig } from './up-config.js';
import { demoConfig, demoLogin, seedDemo } from './up-demo.js';
import { openStore } from '../storage/open-store.js';
import type { InfluxConnection } from '../runtime/connections.js';

export { SIMULATED_SCALE_ID };

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * The whole system on one machine, started in dependency order and stopped in reverse:
 * InfluxDB, broker, ingest, dashboards, then the agent (with a simulated shop — scale, door counter and
 * attendant — when no device is configured). Everything listens on loopback unless the config says otherwise.
 */
export interface RunningUp {
  /** The data folder in use: the config's, or for a demonstration its own beside it. */
  dataDir: string;
  /** A demonstration's account. */
  demoAccount?: { name: string; password: string };
  dashboardsUrl: string;
  influxUrl: string;
  /** How the components reach InfluxDB (the managed one's generated credentials file included). */
  influx: InfluxConnection;
  brokerUrl: string;
  /** The running broker (a new one after restartBroker): its TLS and HTTPS ports, its certificate. */
  broker(): RunningBroker;
  credentialsFile: string;
  /** The agent of this machine; none with `localAgent: false` (a server for agents elsewhere). */
  agent: RunningAgent | undefined;
  ingest: RunningIngest;
  /** The simulated scale and door counter, when no device is configured. */
  simulatedScale?: SimulatedStgsScale;
  simulatedDoor?: SimulatedSerialCounter;
  /** Stops the embedded broker, and starts it again on the same port (tests of the link going down). */
  stopBroker(): Promise<void>;
  restartBroker(): Promise<void>;
  stop(): Promise<void>;
}

export interface UpOptions {
  /** Tests and benchmarks give the agent a clock of their own. */
  agentClock?: Clock;
  /**
   * Without the attendant the simulated shop is quiet: the scale stays empty until someone loads it and nobody
   * passes the door (benchmarks, tests of exact figures).
   */
  attendant?: boolean;
  /** Tests settle the simulated scale faster than a real platform does. */
  simulatedScale?: { settleMs?: [number, number]; intervalMs?: number };
}

export async function startUp(given: UpConfig, log: Logger, options: UpOptions = {}): Promise<RunningUp> {
  const config = given.demo ? demoConfig(given) : given;
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) {
      await s.stop().catch((err: Error) => log.error({ component: s.name, err: err.message }, 'error while stopping'));
    }
  };
  try {
    const { managed, httpPort, rpcPort, url, database, username, password, credentialsFile } = config.influx;
    let influx: InfluxConnection;
    if (managed) {
      const influxd = await startManagedInfluxd({ dir: upInfluxDir(config), httpPort, rpcPort, log: log.child({ component: 'influxd' }) });
      started.push({ name: 'influxd', stop: influxd.stop });
      influx = { version: 1, url: influxd.url, database, credentialsFile: influxd.credentialsFile };
    } else {
      influx = { version: 1, url: url ?? '', database, username, password, credentialsFile };
      await openStore(influx, { requestTimeoutMs: 5_000 }).checkAccess();
    }

    const brokerConfig = upBrokerConfig(config, dataDir);
    let broker = await startBroker(brokerConfig, log.child({ component: 'broker' }));
    let brokerRunning = true;
    const stopBroker = async () => {
      if (brokerRunning) await broker.stop();
      brokerRunning = false;
    };
    started.push({ name: 'broker', stop: stopBroker });
    const mqtt = { url: broker.url, credentialsFile: broker.credentialsFile };

    const ingestConfig = ingestConfigSchema.parse({ mqtt: { ...mqtt, username: 'ingest' }, influx, timeZone: config.site.timeZone });
    const ingest = await startIngest(ingestConfig, log.child({ component: 'ingest' }));
    started.push({ name: 'ingest', stop: ingest.stop });

    let demoAccount: { name: string; password: string; file: string } | undefined;
    if (config.demo) {
      process.stdout.write(`\n  Démonstration : écriture d'une année calibrée et de l'année en cours… / demonstration: writing a calibrated year and this year to date…\n`);
      const seeded = await seedDemo(openStore(ingestConfig.influx), ingestConfig, { site: config.site.id, agent: config.agent }, log.child({ component: 'demo' }));
      log.info(seeded, 'demonstration data written');
      demoAccount = await demoLogin(config);
    }

    const taxonomy = siteTaxonomy(config);
    const dashboards = await startDashboards(
      dashboardsConfigSchema.parse({
        http: config.dashboards,
        mqtt: { ...mqtt, username: 'dashboards' },
        influx,
        site: config.site,
        taxonomy,
        usersFile: upUsersFile(config),
        demo: config.demo,
      }),
      log.child({ component: 'dashboards' }),
    );
    started.push({ name: 'dashboards', stop: dashboards.stop });

    const local = config.localAgent ? await startLocalAgent(config, dataDir, mqtt, taxonomy, log, options, started) : undefined;
    const agent = local?.agent;
    const shop = local?.shop;

    process.stdout.write(
      [
        '',
        `  Trébuchet est démarré — ${config.site.name}`,
        `  Tableau de bord / dashboard : ${dashboards.url}`,
        `  Identifiants générés / generated credentials : ${broker.credentialsFile}${managed ? `, ${influx.credentialsFile}` : ''} (mode 0600)`,
        `  Données / data : ${dataDir}   InfluxDB : ${influx.url}   MQTT : ${broker.url}`,
        ...(broker.tlsPort || broker.httpsPort
          ? [
              `  Agents des boutiques / shops' agents : ${[broker.tlsPort && `mqtts://${brokerConfig.tls?.host}:${broker.tlsPort}`, broker.httpsPort && `wss://${brokerConfig.https?.host}:${broker.httpsPort}/mqtt`].filter(Boolean).join('  ')}   — trebuchet agent enroll --site … --agent …`,
            ]
          : []),
        ...(agent ? [`  Comptoir (kiosque) / counter kiosk : ${agent.httpUrl}${shop ? '   — balance et compteur simulés / simulated scale and door counter' : ''}`] : []),
        ...(demoAccount
          ? [
              `  DÉMONSTRATION : données simulées / DEMONSTRATION: simulated figures (your real data folder is not touched)`,
              `  Connexion / sign in : ${demoAccount.name} / ${demoAccount.password}   (${demoAccount.file})`,
            ]
          : []),
        '  Ctrl-C pour arrêter / to stop',
        '',
      ].join('\n') + '\n',
    );
    return {
      dataDir,
      ...(demoAccount ? { demoAccount: { name: demoAccount.name, password: demoAccount.password } } : {}),
      dashboardsUrl: dashboards.url,
      influxUrl: influx.url,
      influx,
      brokerUrl: broker.url,
      broker: () => broker,
      credentialsFile: broker.credentialsFile,
      agent,
      ingest,
      simulatedScale: shop?.scale,
      simulatedDoor: shop?.door,
      stopBroker,
      async restartBroker() {
        await stopBroker();
        // On the same ports, those given as 0 (free ones) included: the clients reconnect where they were.
        const samePorts = {
          ...brokerConfig,
          listen: { ...brokerConfig.listen, port: broker.port },
          tls: brokerConfig.tls && { ...brokerConfig.tls, port: broker.tlsPort },
          https: brokerConfig.https && { ...brokerConfig.https, port: broker.httpsPort },
        };
        broker = await startBroker(brokerConfigSchema.parse(samePorts), log.child({ component: 'broker' }));
        brokerRunning = true;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** This machine's agent, reading `devices:` or, without any, a simulated shop with its attendant. What it starts goes into `started`. */
async function startLocalAgent(
  config: UpConfig,
  dataDir: string,
  mqtt: { url: string; credentialsFile: string },
  taxonomy: ReturnType<typeof siteTaxonomy>,
  log: Logger,
  options: UpOptions,
  started: Stoppable[],
): Promise<{ agent: RunningAgent; shop: SimulatedShop | undefined }> {
  let devices: DeviceConfig[] = config.devices;
  const seed = config.simulation.seed ?? Date.now() % 1_000_000;
  let shop: SimulatedShop | undefined;
  if (devices.length === 0) {
    shop = await startSimulatedDevices(config.simulation, seed, options.simulatedScale);
    // Shut until the agent reads the door (openWhenRead), and for good without an attendant.
    shop.door.setOpen(false);
    started.push({ name: 'simulated devices', stop: shop.stop });
    devices = shop.devices;
  }
  const agent = await startAgent(
    agentConfigSchema.parse({
      site: config.site.id,
      siteName: config.site.name,
      timeZone: config.site.timeZone,
      demo: config.demo,
      agent: config.agent,
      mqtt: { ...mqtt, username: agentUsername(config.site.id, config.agent) },
      http: config.agentHttp,
      dataDir: join(dataDir, 'agent'),
      taxonomy,
      kiosk: config.kiosk,
      modbus: config.modbus,
      devices,
    }),
    log.child({ component: 'agent' }),
    options.agentClock ? { clock: options.agentClock } : {},
  );
  started.push({ name: 'agent', stop: agent.stop });

  if (shop && options.attendant !== false) {
    const door = agent.devices.counter(SIMULATED_DOOR_ID);
    if (door) openWhenRead(shop.door, door);
    const holdMs = 2_000;
    const counter: CounterActions =
      config.simulation.capture === 'bon'
        ? simulatedCounter(agent.desk, SIMULATED_SCALE_ID, agent.kioskWatchers, { seed, holdMs, humanWaitMs: config.simulation.humanWaitS * 1000 })
        : {
            // A scale alone takes every load in; nothing to say where goods go out.
            beginVisit: async (visit) => !visit.sortie,
            pickCategory: async (category: string) => void agent.devices.selectCategory(SIMULATED_SCALE_ID, category),
          };
    const attendant = new Attendant(shop.scale, counter, { speed: config.simulation.speed, holdMs, scenario: shopDays({ seed }) });
    attendant.run().catch((err: Error) => log.error({ err: err.message }, 'the simulated attendant stopped'));
    started.push({ name: 'attendant', stop: () => attendant.stop() });
  }
  return { agent, shop };
}

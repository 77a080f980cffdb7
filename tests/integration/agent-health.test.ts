import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema, type BrokerConfig } from '../../broker/config.js';
import { UsersFile } from '../../dashboards/auth/users-file.js';
import { dashboardsConfigSchema } from '../../dashboards/config.js';
import type { DevicesReport } from '../../dashboards/reports/report-types.js';
import { startDashboards, type RunningDashboards } from '../../dashboards/server.js';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { TcpSerialServer } from '../../firmware-sim/common/tcp-serial-server.js';
import { SimulatedSerialCounter } from '../../firmware-sim/counters/simulated-serial-counter.js';
import { agentTopic, agentUsername, decode, deviceTopic, type Health, type Live, type Status } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { dashboardsSession, jsonApi } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: process.env.TREBUCHET_TEST_LOG ?? 'silent' });
const SITE = 'lilas';
const AGENT = 'comptoir';
/** A second agent identity, whose messages the test writes by hand. */
const OTHER = 'quai';
const ADMIN = { name: 'admin', password: 'le mot de passe de test' };
/** Far longer than any test: every health seen was sent at a (re)connect, not by the timer. */
const HEALTH_INTERVAL_S = 3600;

/**
 * The agent's health on the real broker, read by dashboards servers started after it went out: retained,
 * sent at each (re)connect rather than an interval later, with each device's last reading.
 */
describe("agents' health and last readings in the dashboards' devices report", () => {
  let dir: string;
  let brokerConfig: BrokerConfig;
  let broker: RunningBroker;
  let counterServer: TcpSerialServer;
  let agent: RunningAgent | undefined;
  let watcher: MqttClient;
  const dashboards: RunningDashboards[] = [];
  const counter = new SimulatedSerialCounter({ intervalMs: 100, customersPerDay: 0, seed: 5 });
  const healths: Health[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-agent-health-'));
    brokerConfig = brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: dir, agents: [{ site: SITE, agent: AGENT }, { site: SITE, agent: OTHER }] });
    broker = await startBroker(brokerConfig, log);
    counterServer = await TcpSerialServer.listen(counter);
    counter.start();
    await new UsersFile(join(dir, 'users.json')).add(ADMIN.name, 'admin', ADMIN.password);
    watcher = await mqtt.connectAsync(broker.url, { ...readCredentials(broker.credentialsFile)!.mqtt['dashboards']!, clientId: 'dashboards:test-watcher', reconnectPeriod: 200 });
    watcher.on('message', (_topic, payload) => {
      const h = decode('health', payload);
      if (h.ok) healths.push(h.value);
    });
    await watcher.subscribeAsync(agentTopic(SITE, AGENT, 'health'), { qos: 0 });
  });

  afterAll(async () => {
    await agent?.stop();
    await Promise.all(dashboards.map((d) => d.stop()));
    await watcher?.endAsync(true);
    counter.stop();
    await counterServer?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A dashboards server of the site, started now, and its devices report as the Appareils page asks for it. */
  const dashboardsStartedNow = async () => {
    const server = await startDashboards(
      dashboardsConfigSchema.parse({
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { url: broker.url, username: 'dashboards', credentialsFile: broker.credentialsFile },
        // Nothing listens there: the devices report comes from MQTT alone.
        influx: { url: 'http://127.0.0.1:9' },
        site: { id: SITE },
        usersFile: join(dir, 'users.json'),
      }),
      log,
    );
    dashboards.push(server);
    const cookie = await dashboardsSession(server.url, ADMIN);
    const api = jsonApi(() => server.url, { cookie: () => cookie });
    return async () => (await api<DevicesReport>('GET', `/api/v1/devices?site=${SITE}`)).body;
  };

  it('an agent sends its health at start and on every reconnect, retained, with its door counter’s last reading', async () => {
    agent = await startAgent(
      agentConfigSchema.parse({
        site: SITE,
        agent: AGENT,
        dataDir: join(dir, 'agent'),
        mqtt: { url: broker.url, username: agentUsername(SITE, AGENT), credentialsFile: broker.credentialsFile },
        http: { port: 0 },
        healthIntervalS: HEALTH_INTERVAL_S,
        devices: [{ id: 'porte', type: 'counter', driver: 'serial-counter', transport: { type: 'tcp', host: '127.0.0.1', port: counterServer.port } }],
      }),
      log,
    );
    const atStart = await waitFor('the health sent at start', () => healths[0], 5_000);
    expect(atStart).toMatchObject({ outbox: { depth: 0 }, devices: { porte: { errors: 0 } }, clock: { synced: true } });
    const counterHealth = () => agent!.devices.describeCounters()[0]!.health;
    await waitFor('the counter read', () => counterHealth().lastReadingAt);

    // The broker restarts (forgetting every retained message): the agent's health is back as soon as it reconnects.
    const before = healths.length;
    await broker.stop();
    broker = await startBroker(brokerConfigSchema.parse({ ...brokerConfig, listen: { ...brokerConfig.listen, port: broker.port } }), log);
    const reconnected = await waitFor('the health sent on reconnect, with the counter’s last reading', () => healths.slice(before).find((h) => h.devices['porte']?.lastReadingAt), 10_000);
    const readAt = reconnected.devices['porte']!.lastReadingAt!;
    expect(Date.now() - Date.parse(readAt)).toBeLessThan(10_000);

    // A dashboards server started after that health went out has it at once, from the broker.
    const devices = await dashboardsStartedNow();
    const shown = await waitFor('the agent with its health in the report', async () => (await devices()).agents.find((a) => a.agent === AGENT && a.health), 3_000);
    expect(shown).toMatchObject({ state: 'online', health: { t: reconnected.t, outboxDepth: 0, deadLetters: 0, clockSynced: true } });
    expect(shown.devices).toEqual([{ id: 'porte', state: 'ok', errors: 0, live: null, lastReadingAt: readAt }]);
  });

  it('gives each device the latest reading the server heard of, and its state from the newer of status and health', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 2, 14, 10, 0, s)).toISOString();
    const user = agentUsername(SITE, OTHER);
    const publisher = await mqtt.connectAsync(broker.url, { username: user, password: readCredentials(broker.credentialsFile)!.mqtt[user]!.password, clientId: `${user}:test-publisher` });
    try {
      const devices = await dashboardsStartedNow();
      const device = async (id: string) => (await devices()).agents.find((a) => a.agent === OTHER)?.devices.find((d) => d.id === id);
      const ok = (lastReadingAt: string) => ({ state: 'ok' as const, lastReadingAt, consecutiveErrors: 0 });
      const health = (t: string, devs: Health['devices']): Health => ({ v: 1, t, outbox: { depth: 0, oldestAgeS: null }, devices: devs, diskFreeBytes: null, clock: { synced: true } });
      const publish = (kind: 'status' | 'health', message: Status | Health) => publisher.publishAsync(agentTopic(SITE, OTHER, kind), JSON.stringify(message), { qos: 1, retain: true });

      // The health is older than the status; 'ancienne' is a device of an agent whose health has no last reading.
      await publish('status', { v: 1, state: 'online', t: at(60), devices: { balance: ok(at(10)), porte: ok(at(50)) } });
      await publish('health', health(at(30), { balance: { errors: 0, state: 'offline', lastReadingAt: at(20) }, porte: { errors: 2, state: 'offline', lastReadingAt: at(30) }, ancienne: { errors: 0, state: 'ok' } }));
      await waitFor('the hand-made agent in the report', () => device('ancienne'));
      // Live weights are not retained: this one is sent once the server listens.
      await publisher.publishAsync(deviceTopic(SITE, OTHER, 'balance', 'live'), JSON.stringify({ v: 1, t: at(40), kg: 3.2, state: 'stable' } satisfies Live), { qos: 0 });
      expect(await waitFor('the live weight', () => device('balance').then((d) => d?.live && d))).toMatchObject({ state: 'ok', lastReadingAt: at(40) });
      expect(await device('porte')).toMatchObject({ state: 'ok', errors: 2, lastReadingAt: at(50) });
      expect(await device('ancienne')).toMatchObject({ state: 'ok', errors: 0, lastReadingAt: null });

      // A newer health wins the state, and its last reading the time.
      await publish('health', health(at(90), { porte: { errors: 5, state: 'degraded', lastReadingAt: at(85) } }));
      expect(await waitFor('the newer health', () => device('porte').then((d) => d?.errors === 5 && d))).toMatchObject({ state: 'degraded', lastReadingAt: at(85) });
    } finally {
      await publisher.endAsync();
    }
  });
});

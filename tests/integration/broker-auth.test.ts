import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { agentTopic, agentUsername, deviceTopic, kindFilter } from '../../protocol/index.js';
import { ingestConfigSchema } from '../../ingest/config.js';
import { startIngest } from '../../ingest/ingest.js';
import { waitFor } from '../helpers/wait.js';
import { ensureUsers } from '../../broker/credentials.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { ACL_AGENTS, ACL_CASES, ACL_EXTRA_USERS, ACL_WATCHER, checkAclCase } from '../helpers/acl-cases.js';

const log = pino({ level: 'silent' });

function connect(url: string, username?: string, password?: string) {
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    // Bound to the user, as the broker requires (a random suffix: a test may hold two sessions of one user).
    const c = mqtt.connect(url, { username, password, clientId: `${username}:${Math.random().toString(16).slice(2, 10)}`, reconnectPeriod: 0, connectTimeout: 3000 });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

describe('embedded broker', () => {
  let dataDir: string;
  let broker: RunningBroker;
  const agentUser = agentUsername('paris-11', 'comptoir');
  const pw = (user: string) => readCredentials(broker.credentialsFile)!.mqtt[user]!.password;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tb-broker-'));
    broker = await startBroker(
      brokerConfigSchema.parse({ listen: { port: 0 }, dataDir, agents: [{ site: 'paris-11', agent: 'comptoir' }, { site: 'paris-11', agent: 'atelier' }] }),
      log,
    );
  });
  afterAll(async () => broker?.stop());

  it('generates credentials at first start, readable by the owner only', () => {
    const mode = statSync(broker.credentialsFile).mode & 0o777;
    expect(mode).toBe(0o600);
    const creds = readCredentials(broker.credentialsFile)!;
    expect(Object.keys(creds.mqtt).sort()).toEqual(['agent.paris-11.atelier', 'agent.paris-11.comptoir', 'dashboards', 'ingest']);
    // The broker's own user file holds hashes, never the passwords.
    const users = readFileSync(join(dataDir, 'broker', 'users.json'), 'utf8');
    expect(users).not.toContain(pw('ingest'));
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connect(broker.url)).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(connect(broker.url, 'ingest', 'guess')).rejects.toThrow(/Bad username or password/i);
    await expect(connect(broker.url, 'nobody', 'x')).rejects.toThrow(/Bad username or password/i);
  });

  it('lets an agent publish only under its own prefix and read only its own receipts', async () => {
    const dashboards = await connect(broker.url, 'dashboards', pw('dashboards'));
    const seen: string[] = [];
    dashboards.on('message', (topic) => seen.push(topic));
    await dashboards.subscribeAsync('tb/v1/#', { qos: 1 });

    const agent = await connect(broker.url, agentUser, pw(agentUser));
    const own = deviceTopic('paris-11', 'comptoir', 'balance-1', 'live');
    const other = deviceTopic('paris-11', 'atelier', 'balance-1', 'live');
    await agent.publishAsync(own, '{}', { qos: 0 });
    // A forbidden publish closes the client's connection in aedes; what matters is it never reaches subscribers.
    agent.publish(other, '{}', { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toContain(own);
    expect(seen).not.toContain(other);

    const agent2 = await connect(broker.url, agentUser, pw(agentUser));
    const granted = await agent2.subscribeAsync(agentTopic('paris-11', 'comptoir', 'receipt'), { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // The broker answers 0x80 (failure) for another agent's receipts, which mqtt.js turns into an error.
    await expect(agent2.subscribeAsync(agentTopic('paris-11', 'atelier', 'receipt'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(agent2.subscribeAsync('tb/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await Promise.all([dashboards.endAsync(), agent.endAsync(true), agent2.endAsync()]);
  });

  it('keeps the same credentials on a second start', async () => {
    const before = readFileSync(broker.credentialsFile, 'utf8');
    await broker.stop();
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir, agents: [{ site: 'paris-11', agent: 'comptoir' }, { site: 'paris-11', agent: 'atelier' }] }), log);
    expect(readFileSync(broker.credentialsFile, 'utf8')).toBe(before);
    const c = await connect(broker.url, 'ingest', pw('ingest'));
    await c.endAsync();
  });

  it('refuses a shared subscription, which it would grant and never deliver, and ingest says to use Mosquitto or EMQX', async () => {
    const ingest = await connect(broker.url, 'ingest', pw('ingest'));
    try {
      // mqtt.js reports a refused filter as an error, with the SUBACK's codes beside it.
      const granted = await new Promise<number[]>((resolve) =>
        ingest.subscribe([`$share/ingest/${kindFilter('weighing')}`, kindFilter('weighing')], { qos: 1 }, (err) => resolve(((err as { packet?: { granted?: number[] } } | null)?.packet?.granted ?? []).map(Number))),
      );
      expect(granted).toEqual([128, 1]);
    } finally {
      await ingest.endAsync();
    }
    const lines: { msg: string; sharedGroup?: string }[] = [];
    const ingestLog = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    // InfluxDB need not answer for this: ingest subscribes first and retries its writes.
    const config = ingestConfigSchema.parse({ mqtt: { url: broker.url, username: 'ingest', password: pw('ingest') }, influx: { url: 'http://127.0.0.1:9', database: 'x' }, sharedGroup: 'ingest' });
    const running = await startIngest(config, ingestLog);
    try {
      const said = await waitFor('ingest saying the broker refuses its shared subscriptions', () => lines.find((l) => /shared subscriptions/.test(l.msg)));
      expect(said.msg).toMatch(/Mosquitto or EMQX/);
      expect(said.sharedGroup).toBe('ingest');
    } finally {
      await running.stop();
    }
  });
});

// The same table runs against Mosquitto in mosquitto-config.test.ts.
describe("the broker ACL's cases, on the embedded broker", () => {
  let broker: RunningBroker;
  let watcher: mqtt.MqttClient;
  const connectAs = (user: string) => connect(broker.url, user, readCredentials(broker.credentialsFile)!.mqtt[user]!.password);

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-broker-acl-'));
    ensureUsers(dataDir, ACL_EXTRA_USERS);
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir, agents: ACL_AGENTS }), log);
    watcher = await connectAs(ACL_WATCHER);
    await watcher.subscribeAsync('tb/v1/#', { qos: 1 });
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await broker?.stop();
  });

  for (const c of ACL_CASES) it(`${c.name}: ${c.allowed ? 'allowed' : 'refused'}`, () => checkAclCase(c, connectAs, watcher));
});

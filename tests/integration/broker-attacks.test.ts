import { randomUUID, scryptSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { agentTopic, agentUsername, deviceTopic, MAX_PAYLOAD_BYTES } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { connectMqtt } from '../../runtime/mqtt-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The attacks of issue 13 on the embedded broker, each by an outside client holding some valid credentials.
 */
const SITE = 'paris-11';
const AGENT = 'comptoir';
const agentUser = agentUsername(SITE, AGENT);
const weighingTopic = deviceTopic(SITE, AGENT, 'balance-1', 'weighing');

interface Harness {
  broker: RunningBroker;
  logs: { msg: string; [k: string]: unknown }[];
  password(user: string): string;
  connect(user: string, options?: mqtt.IClientOptions): Promise<mqtt.MqttClient>;
  logged(msg: RegExp): Promise<{ msg: string; [k: string]: unknown }>;
}

async function harness(settings: object = {}): Promise<Harness> {
  const logs: Harness['logs'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Harness['logs'][number]) });
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-broker-attacks-'));
  const broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir, agents: [{ site: SITE, agent: AGENT }], ...settings }), log);
  const password = (user: string) => readCredentials(broker.credentialsFile)!.mqtt[user]!.password;
  return {
    broker,
    logs,
    password,
    connect: (user, options = {}) =>
      mqtt.connectAsync(broker.url, { username: user, password: password(user), clientId: `${user}:${randomUUID().slice(0, 8)}`, reconnectPeriod: 0, connectTimeout: 10_000, ...options }),
    logged: (msg) => waitFor(`a log line ${msg}`, () => logs.find((l) => msg.test(l.msg))),
  };
}

/** A connection attempt's outcome: 'connected' (then closed), or the broker's refusal. */
async function attempt(url: string, options: mqtt.IClientOptions): Promise<string> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    await c.endAsync(true);
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('client-id takeover', () => {
  let h: Harness;
  beforeAll(async () => (h = await harness()));
  afterAll(async () => h?.broker.stop());

  it("refuses another user's client with the agent's id: the agent stays online, its will unsent", async () => {
    // The agent as it really connects (the component's own choice of id).
    const agent = connectMqtt({ url: h.broker.url, credentialsFile: h.broker.credentialsFile }, agentUser, {
      will: { topic: agentTopic(SITE, AGENT, 'status'), payload: Buffer.from('{"v":1,"state":"offline"}'), qos: 1, retain: true },
    });
    await new Promise((r) => agent.once('connect', r));
    let agentClosed = false;
    agent.on('close', () => (agentClosed = true));
    const watcher = await h.connect('dashboards');
    const statuses: string[] = [];
    watcher.on('message', (_t, payload) => statuses.push(payload.toString()));
    await watcher.subscribeAsync(agentTopic(SITE, AGENT, 'status'), { qos: 1 });

    for (const clientId of [agent.options.clientId!, `${agentUser}:evil`]) {
      expect(await attempt(h.broker.url, { username: 'ingest', password: h.password('ingest'), clientId })).toMatch(/Identifier rejected/);
    }
    await h.logged(/client id must be the username "ingest"/);
    // A round trip through the broker after the attempts: had it kicked the agent, the will would be here first.
    await agent.publishAsync(agentTopic(SITE, AGENT, 'status'), '{"v":1,"state":"online"}', { qos: 1, retain: true });
    await waitFor('the online status', () => statuses.includes('{"v":1,"state":"online"}'));
    expect(statuses).not.toContain('{"v":1,"state":"offline"}');
    expect(agentClosed).toBe(false);

    // Its own suffixed ids still work, for several instances at once.
    const [a, b] = await Promise.all([h.connect('ingest'), h.connect('ingest')]);
    expect(a.connected && b.connected).toBe(true);
    await Promise.all([a.endAsync(), b.endAsync(), watcher.endAsync(), agent.endAsync(true)]);
  });
});

describe('memory limits', () => {
  let h: Harness;
  beforeAll(async () => (h = await harness({ limits: { maxConnections: 6, offlineQueue: { messages: 5 } } })));
  afterAll(async () => h?.broker.stop());

  it('cuts a client that sends a 10 MB publish before it is buffered, and forwards nothing', async () => {
    const watcher = await h.connect('dashboards');
    const seen: number[] = [];
    watcher.on('message', (_t, payload) => seen.push(payload.length));
    await watcher.subscribeAsync('tb/v1/#', { qos: 1 });
    const agent = await h.connect(agentUser);
    const closed = new Promise<void>((r) => agent.once('close', () => r()));
    agent.publish(weighingTopic, Buffer.alloc(10 * 1024 * 1024, 'x'), { qos: 0 });
    await closed;
    expect((await h.logged(/packet too large/)).reason).toMatch(/exceeds the maximum/);

    // Others keep working: the watcher is still there and gets the next normal message.
    const again = await h.connect(agentUser);
    await again.publishAsync(weighingTopic, '{}', { qos: 1 });
    await waitFor('the normal message', () => seen.includes(2));
    expect(seen).toEqual([2]);
    await Promise.all([again.endAsync(), watcher.endAsync(), agent.endAsync(true)]);
  });

  it('leaves a payload over the contract maximum within the packet limit to ingest, without cutting its sender', async () => {
    // Cut, the sender would resend its QoS 1 publish at every reconnect; forwarded, ingest dead-letters it.
    const ingest = await h.connect('ingest');
    const forwarded = new Promise<Buffer>((r) => ingest.on('message', (_t, payload) => r(payload)));
    await ingest.subscribeAsync('tb/v1/+/+/+/weighing', { qos: 1 });
    const agent = await h.connect(agentUser);
    let closes = 0;
    agent.on('close', () => closes++);
    await agent.publishAsync(weighingTopic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 'x'), { qos: 1 });
    expect((await forwarded).length).toBe(MAX_PAYLOAD_BYTES + 1);
    expect(closes).toBe(0);
    await Promise.all([agent.endAsync(true), ingest.endAsync(true)]);
  });

  it('retains only the kinds the contract retains, so nothing else is replayed to new subscribers', async () => {
    const agent = await h.connect(agentUser);
    await agent.publishAsync(deviceTopic(SITE, AGENT, 'balance-7', 'live'), Buffer.alloc(1000, 'x'), { qos: 1, retain: true });
    await h.logged(/retain flag dropped: this kind is never retained/);
    expect(agent.connected).toBe(true);
    const honest = await h.connect(agentUser);
    await honest.publishAsync(agentTopic(SITE, AGENT, 'health'), '{"retained":true}', { qos: 1, retain: true });

    const late = await h.connect('dashboards');
    const replayed: string[] = [];
    late.on('message', (topic) => replayed.push(topic));
    await late.subscribeAsync('tb/v1/#', { qos: 1 });
    await waitFor('the retained health', () => replayed.includes(agentTopic(SITE, AGENT, 'health')));
    expect(replayed).toEqual([agentTopic(SITE, AGENT, 'health')]);
    await Promise.all([late.endAsync(), honest.endAsync(), agent.endAsync(true)]);
  });

  it('bounds what an offline persistent session queues, and says so', async () => {
    const spyOptions = { clientId: 'dashboards:offline-spy', clean: false };
    const spy = await h.connect('dashboards', spyOptions);
    await spy.subscribeAsync('tb/v1/#', { qos: 1 });
    await spy.endAsync();
    const agent = await h.connect(agentUser);
    for (let i = 0; i < 20; i++) await agent.publishAsync(weighingTopic, `${i}`, { qos: 1 });
    expect(await h.logged(/session queue full/)).toMatchObject({ clientId: 'dashboards:offline-spy', messages: 5 });

    const got: string[] = [];
    const back = mqtt.connect(h.broker.url, { username: 'dashboards', password: h.password('dashboards'), reconnectPeriod: 0, ...spyOptions });
    back.on('message', (_t, payload) => got.push(payload.toString()));
    await new Promise((r) => back.once('connect', r));
    // Delivered in order: what the queue held comes before a message sent once the session is back.
    await waitFor('the queued messages', () => got.length >= 5);
    await agent.publishAsync(weighingTopic, 'after', { qos: 1 });
    await waitFor('the message sent after', () => got.includes('after'));
    expect(got).toEqual(['0', '1', '2', '3', '4', 'after']);
    await Promise.all([back.endAsync(), agent.endAsync()]);
  });

  it('refuses connections over the limit at once, and takes new ones when some close', async () => {
    const open: Socket[] = [];
    const openSocket = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect(h.broker.port, '127.0.0.1', () => resolve(s)).once('error', reject);
        open.push(s);
      });
    for (let i = 0; i < 6; i++) await openSocket();
    // Reset by the broker as soon as it is accepted (the connect may or may not have been seen first).
    const extra = tcpConnect(h.broker.port, '127.0.0.1').on('error', () => {});
    await new Promise((r) => (extra.closed ? r(undefined) : extra.once('close', r)));
    await h.logged(/connection limit reached/);
    open.shift()!.destroy();
    await waitFor('a connection once one closed', async () => (await attempt(h.broker.url, { username: 'dashboards', password: h.password('dashboards'), clientId: 'dashboards:after' })) === 'connected');
    for (const s of open) s.destroy();
  });
});

describe('password guessing', () => {
  it('hashes a burst of wrong logins off the event loop', async () => {
    const h = await harness({ loginBackoff: { freeFailures: 1000 } });
    try {
      const burst = 24;
      // What one check costs this machine now, on the loop: the burst would cost that many times this if it blocked.
      const t0 = performance.now();
      scryptSync('guess', Buffer.alloc(16), 32);
      const oneHash = performance.now() - t0;
      const before = performance.eventLoopUtilization();
      const outcomes = await Promise.all(Array.from({ length: burst }, () => attempt(h.broker.url, { username: 'ingest', password: 'guess', clientId: `ingest:${randomUUID()}` })));
      const busy = performance.eventLoopUtilization(before).active;
      expect(outcomes.every((o) => /Bad username or password/.test(o))).toBe(true);
      expect(busy).toBeLessThan((burst * oneHash) / 2);
    } finally {
      await h.broker.stop();
    }
  });

  it('refuses an address after repeated failures without checking, even the right password, until the delay ends', async () => {
    const h = await harness({ loginBackoff: { freeFailures: 3, baseDelayMs: 2000, maxDelayMs: 2000 } });
    try {
      const login = (password: string) => attempt(h.broker.url, { username: 'ingest', password, clientId: 'ingest:guesser' });
      for (let i = 0; i < 4; i++) expect(await login('guess')).toMatch(/Bad username or password/);
      expect(await h.logged(/refused for a while/)).toMatchObject({ address: expect.stringMatching(/127\.0\.0\.1/), delayMs: 2000 });
      expect(await login(h.password('ingest'))).toMatch(/Not authorized/);
      expect(await h.logged(/too many failed logins, password not checked/)).toMatchObject({ username: 'ingest' });
      // Once the delay is over, the right password opens again (and clears the count).
      await waitFor('a login after the delay', async () => (await login(h.password('ingest'))) === 'connected', 15_000, 200);
    } finally {
      await h.broker.stop();
    }
  });
});

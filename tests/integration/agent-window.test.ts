import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { brokerConfigSchema } from '../../broker/config.js';
import { startAgent, type RunningAgent } from '../../edge-agent/agent.js';
import { agentConfigSchema } from '../../edge-agent/config.js';
import { DurableOutbox } from '../../edge-agent/outbox/durable-outbox.js';
import { agentTopic, agentUsername, deviceTopic } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';
import { weighingAt } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';

const SITE = 'lilas';
const AGENT = 'comptoir';
const WINDOW = 100;
const BACKLOG = 250;

/**
 * An outage's backlog leaves the agent a window at a time (receipts.maxInFlight): never more events sent
 * and unreceipted than the window, the next ones as soon as receipts make room. The stand-in ingest here
 * holds its receipts back to see it, and never offers batches, so every event is its own message.
 */
describe('an agent drains its backlog a window at a time', () => {
  let dir: string;
  let broker: RunningBroker;
  let ingest: MqttClient;
  /** Reads what the agent sends, in the order it sent it, over one connection (as the dashboards' user: ingest may not read health). */
  let watch: MqttClient;
  let agent: RunningAgent;
  const received: string[] = [];
  /** Health messages the agent published since the last look: each comes after anything it sent before it. */
  let healths = 0;
  const receipt = (ids: string[]) => ingest.publishAsync(agentTopic(SITE, AGENT, 'receipt'), JSON.stringify({ v: 1, ids }), { qos: 1 });
  /** Two health messages seen after `from`: the agent has had two pumps since, and what they sent has arrived. */
  const twoPumpsLater = async () => {
    const from = healths;
    await waitFor('two health messages', () => healths >= from + 2, 30_000);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-window-'));
    broker = await startBroker(brokerConfigSchema.parse({ listen: { port: 0 }, dataDir: join(dir, 'broker'), agents: [{ site: SITE, agent: AGENT }] }), pino({ level: 'silent' }));
    const creds = readCredentials(broker.credentialsFile)!.mqtt;
    ingest = await mqtt.connectAsync(broker.url, { ...creds.ingest!, clientId: 'ingest:window' });
    watch = await mqtt.connectAsync(broker.url, { ...creds.dashboards!, clientId: 'dashboards:window' });
    watch.on('message', (topic, payload) => {
      if (topic.endsWith('/_agent/health')) healths++;
      else received.push((JSON.parse(payload.toString()) as { id: string }).id);
    });
    await watch.subscribeAsync([`tb/v1/${SITE}/${AGENT}/+/weighing`, agentTopic(SITE, AGENT, 'health')], { qos: 1 });

    const dataDir = join(dir, AGENT);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'identity.json'), JSON.stringify({ installedAt: '2025-01-01T00:00:00.000Z' }));
    const outbox = await DurableOutbox.open(join(dataDir, 'outbox'));
    const noon = DateTime.fromISO('2025-05-12T12:00:00', { zone: 'Europe/Paris' });
    for (let i = 0; i < BACKLOG; i++) {
      const w = weighingAt(noon.plus({ seconds: i * 17 }), 1, 'textile');
      await outbox.append({ id: w.id, topic: deviceTopic(SITE, AGENT, 'balance-1', 'weighing'), payload: JSON.stringify(w), acceptedAt: Date.parse(w.capturedAt) });
    }
    await outbox.close();
    agent = await startAgent(
      agentConfigSchema.parse({
        site: SITE,
        agent: AGENT,
        dataDir,
        clock: 'assume-synced',
        healthIntervalS: 1,
        mqtt: { url: broker.url, username: agentUsername(SITE, AGENT), credentialsFile: broker.credentialsFile },
        http: { port: 0 },
        // No resend within the test: every message counted is a first send.
        receipts: { timeoutMs: 600_000, maxBackoffMs: 600_000, maxInFlight: WINDOW },
      }),
      pino({ level: 'silent' }),
    );
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await ingest?.endAsync();
    await watch?.endAsync();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends a window, then as many more as receipts free, then the rest, each event once', async () => {
    await waitFor('a window sent', () => received.length >= WINDOW, 30_000);
    await twoPumpsLater();
    expect(received).toHaveLength(WINDOW);

    await receipt(received.slice(0, 40));
    await waitFor('40 more sent', () => received.length >= WINDOW + 40, 30_000);
    await twoPumpsLater();
    expect(received).toHaveLength(WINDOW + 40);

    // Receipts as the events come, as ingest gives them: the whole backlog drains, nothing sent twice.
    let receipted = 40;
    while (agent.pending.depth > 0) {
      if (received.length > receipted) {
        const ids = received.slice(receipted);
        receipted = received.length;
        await receipt(ids);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(received).toHaveLength(BACKLOG);
    expect(new Set(received).size).toBe(BACKLOG);
  }, 120_000);
});

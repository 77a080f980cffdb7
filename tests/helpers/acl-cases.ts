import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import { AGENT_DEVICE, TOPIC_ROOT, agentTopic, agentUsername, deviceTopic, kindFilter } from '../../protocol/index.js';
import { waitFor } from './wait.js';

/**
 * The broker ACL's cases, run against any broker holding these users (the embedded one and Mosquitto configured
 * by `trebuchet broker mosquitto-config`): one table, so both brokers are held to the same rules.
 */
export const ACL_SITE = 'paris-11';
export const ACL_AGENT = 'comptoir';
export const ACL_OTHER_AGENT = 'atelier';
/** A second dashboards user watching everything: a broker may allow one connection per user. */
export const ACL_WATCHER = 'dashboards-watch';
const agent = agentUsername(ACL_SITE, ACL_AGENT);

const ownReceipt = agentTopic(ACL_SITE, ACL_AGENT, 'receipt');
const otherReceipt = agentTopic(ACL_SITE, ACL_OTHER_AGENT, 'receipt');
const weighing = deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'weighing');
const live = deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'live');

/**
 * A subscription is judged by what it delivers, not by the broker's answer: Mosquitto grants any filter and
 * checks each message against the ACL as it delivers it, where aedes refuses the filter. `probe` is what the
 * filter would bring, sent by `by`; when it must not arrive, `marker` (which the user may read) follows it from
 * the same publisher, so its arrival proves the probe was dropped, not late.
 */
interface SubscribeCase {
  filter: string;
  probe: { by: string; topic: string; marker?: string };
}

export interface AclCase {
  name: string;
  user: string;
  publish?: string;
  subscribe?: SubscribeCase;
  allowed: boolean;
}

export const ACL_CASES: AclCase[] = [
  { name: 'an agent publishes a weighing under its own prefix', user: agent, publish: deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'weighing'), allowed: true },
  { name: 'an agent publishes its status', user: agent, publish: agentTopic(ACL_SITE, ACL_AGENT, 'status'), allowed: true },
  { name: "an agent publishes under another agent's prefix", user: agent, publish: deviceTopic(ACL_SITE, ACL_OTHER_AGENT, 'balance-1', 'weighing'), allowed: false },
  { name: "an agent publishes under another site's prefix", user: agent, publish: deviceTopic('bercy', ACL_AGENT, 'balance-1', 'weighing'), allowed: false },
  { name: 'an agent publishes a receipt', user: agent, publish: agentTopic(ACL_SITE, ACL_AGENT, 'receipt'), allowed: false },
  { name: 'an agent publishes a device kind at the agent level', user: agent, publish: `${TOPIC_ROOT}/${ACL_SITE}/${ACL_AGENT}/${AGENT_DEVICE}/weighing`, allowed: false },
  { name: 'an agent reads its own receipts', user: agent, subscribe: { filter: ownReceipt, probe: { by: 'ingest', topic: ownReceipt } }, allowed: true },
  { name: "an agent reads another agent's receipts", user: agent, subscribe: { filter: otherReceipt, probe: { by: 'ingest', topic: otherReceipt, marker: ownReceipt } }, allowed: false },
  { name: 'an agent reads every receipt', user: agent, subscribe: { filter: kindFilter('receipt'), probe: { by: 'ingest', topic: otherReceipt, marker: ownReceipt } }, allowed: false },
  { name: 'an agent reads everything', user: agent, subscribe: { filter: `${TOPIC_ROOT}/#`, probe: { by: 'ingest', topic: otherReceipt, marker: ownReceipt } }, allowed: false },
  { name: 'ingest publishes a receipt', user: 'ingest', publish: agentTopic(ACL_SITE, ACL_AGENT, 'receipt'), allowed: true },
  { name: 'ingest publishes a weighing', user: 'ingest', publish: deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'weighing'), allowed: false },
  { name: 'ingest publishes a status', user: 'ingest', publish: agentTopic(ACL_SITE, ACL_AGENT, 'status'), allowed: false },
  { name: 'ingest reads the weighings', user: 'ingest', subscribe: { filter: kindFilter('weighing'), probe: { by: agent, topic: weighing } }, allowed: true },
  { name: 'ingest reads every kind with a wildcard', user: 'ingest', subscribe: { filter: `${TOPIC_ROOT}/+/+/+/+`, probe: { by: agent, topic: live, marker: weighing } }, allowed: false },
  { name: 'dashboards publish a weighing', user: 'dashboards', publish: deviceTopic(ACL_SITE, ACL_AGENT, 'balance-1', 'weighing'), allowed: false },
  { name: 'dashboards publish a receipt', user: 'dashboards', publish: agentTopic(ACL_SITE, ACL_AGENT, 'receipt'), allowed: false },
  { name: 'dashboards read everything', user: 'dashboards', subscribe: { filter: `${TOPIC_ROOT}/#`, probe: { by: agent, topic: live } }, allowed: true },
];

/** The users ACL_CASES needs, as ensureUsers takes them, beyond those of a config with both agents. */
export const ACL_EXTRA_USERS = [{ username: ACL_WATCHER, role: 'dashboards' as const }];
export const ACL_AGENTS = [
  { site: ACL_SITE, agent: ACL_AGENT },
  { site: ACL_SITE, agent: ACL_OTHER_AGENT },
];

/** Publishes `topics` in order on one connection of `user`, each acknowledged before the next is sent. */
async function publishInOrder(connect: (user: string) => Promise<mqtt.MqttClient>, user: string, topics: string[], payload: string): Promise<void> {
  const publisher = await connect(user);
  for (const topic of topics) await publisher.publishAsync(topic, payload, { qos: 1 });
  await publisher.endAsync();
}

/** The topics (with this payload) a client receives until `stop`. */
function collect(client: mqtt.MqttClient, payload: string): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const onMessage = (topic: string, message: Buffer) => message.toString() === payload && seen.push(topic);
  client.on('message', onMessage);
  return { seen, stop: () => client.off('message', onMessage) };
}

async function checkSubscribe(c: AclCase & { subscribe: SubscribeCase }, client: mqtt.MqttClient, connect: (user: string) => Promise<mqtt.MqttClient>): Promise<void> {
  const { filter, probe } = c.subscribe;
  const payload = `acl-case-${randomUUID()}`;
  const { seen } = collect(client, payload);
  // The broker's answer is not the verdict (see SubscribeCase): a refused filter is only an error to ignore.
  await client.subscribeAsync(filter, { qos: 1 }).catch((err: Error) => (/Subscribe error/.test(err.message) ? undefined : Promise.reject(err)));
  if (c.allowed) {
    await publishInOrder(connect, probe.by, [probe.topic], payload);
    await waitFor(`${c.name}: the message at the subscriber`, () => seen.includes(probe.topic));
    return;
  }
  await client.subscribeAsync(probe.marker!, { qos: 1 });
  await publishInOrder(connect, probe.by, [probe.topic, probe.marker!], payload);
  await waitFor(`${c.name}: the marker at the subscriber`, () => seen.includes(probe.marker!));
  if (seen.includes(probe.topic)) throw new Error(`${c.name}: ${probe.topic} was delivered`);
}

/**
 * Runs one case. A publish counts as through when the watcher (reading everything) receives it; as refused
 * when it has not by the time a later marker has (a broker forwards in order what it accepted). A refusing
 * broker may drop the message and acknowledge it (Mosquitto) or close the client (aedes): either is a refusal.
 */
export async function checkAclCase(c: AclCase, connect: (user: string) => Promise<mqtt.MqttClient>, watcher: mqtt.MqttClient): Promise<void> {
  const client = await connect(c.user);
  const payload = `acl-case-${randomUUID()}`;
  const watched = collect(watcher, payload);
  try {
    if (c.subscribe) return await checkSubscribe({ ...c, subscribe: c.subscribe }, client, connect);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    await Promise.race([client.publishAsync(c.publish!, payload, { qos: 1 }), closed]);
    if (c.allowed) {
      await waitFor(`${c.name}: the message at the watcher`, () => watched.seen.includes(c.publish!));
      return;
    }
    const marker = deviceTopic(ACL_SITE, ACL_AGENT, 'marker', 'live');
    await publishInOrder(connect, agent, [marker], payload);
    await waitFor(`${c.name}: the marker at the watcher`, () => watched.seen.includes(marker));
    if (watched.seen.includes(c.publish!)) throw new Error(`${c.name}: the message went through`);
  } finally {
    watched.stop();
    await client.endAsync(true);
  }
}

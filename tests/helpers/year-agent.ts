import mqtt, { type MqttClient } from 'mqtt';
import type { YearScenario } from '../../firmware-sim/scenarios/year-scenario.js';
import { agentTopic, agentUsername, decode, deviceTopic } from '../../protocol/index.js';
import { readCredentials } from '../../runtime/credentials-file.js';

/** One event of a year as its agent publishes it. */
export interface AgentMessage {
  id: string;
  topic: string;
  payload: string;
}

/** Every event of a calibrated year, weighings then door buckets then bons, on the agent's topics. */
export function yearMessages(year: YearScenario, site: string, agent: string): AgentMessage[] {
  return [
    ...year.weighings.map((w) => ({ id: w.message.id, topic: deviceTopic(site, agent, w.device, 'weighing'), payload: JSON.stringify(w.message) })),
    ...year.visits.map((v) => ({ id: v.message.id, topic: deviceTopic(site, agent, v.device, 'visits'), payload: JSON.stringify(v.message) })),
    ...year.bons.map((b) => ({ id: b.id, topic: agentTopic(site, agent, 'bon'), payload: JSON.stringify(b) })),
  ];
}

/** A test's stand-in for an agent: connected as its user, collecting the ids its receipts acknowledge. */
export interface ReceiptingAgent {
  client: MqttClient;
  /** Ids acknowledged so far. */
  stored: Set<string>;
  /** Called after each receipt (one at a time: the latest replaces the previous). */
  onReceipt(callback: () => void): void;
}

export async function connectAgent(url: string, credentialsFile: string, site: string, agent: string): Promise<ReceiptingAgent> {
  const username = agentUsername(site, agent);
  const client = await mqtt.connectAsync(url, { username, clientId: username, password: readCredentials(credentialsFile)!.mqtt[username]!.password, clean: true });
  const stored = new Set<string>();
  let callback = () => {};
  client.on('message', (_topic, payload) => {
    const receipt = decode('receipt', payload);
    if (receipt.ok) for (const id of receipt.value.ids) stored.add(id);
    callback();
  });
  await client.subscribeAsync(agentTopic(site, agent, 'receipt'), { qos: 1 });
  return { client, stored, onReceipt: (c) => (callback = c) };
}

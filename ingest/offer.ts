import type { MqttClient } from 'mqtt';
import { agentTopic, KINDS, type Accepts } from '../protocol/index.js';

/**
 * What ingest offers each agent that comes online: its backlog in batches of up to 500 events and 256 KiB,
 * half the contract's payload limit. A batch of 500 is half a write to InfluxDB (batch.maxPoints), and one
 * PUBACK instead of 500 (the largest cost in ingest's profile with one message per event).
 */
export const BATCH_OFFER = { maxEvents: 500, maxBytes: 256 * 1024 } as const;

/** Answers an agent's online status. An agent older than the offer never subscribed to it: the broker drops it. */
export function offerBatches(client: MqttClient, site: string, agent: string): void {
  const offer: Accepts = { v: 1, batch: BATCH_OFFER };
  client.publish(agentTopic(site, agent, 'accepts'), JSON.stringify(offer), { qos: KINDS.accepts.delivery.qos });
}

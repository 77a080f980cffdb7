import type { MqttClient } from 'mqtt';
import { agentTopic, KINDS } from '../protocol/index.js';

export interface ReceiptKey {
  site: string;
  agent: string;
  id: string;
}

/** Receipts are split so that none exceeds the schema's limit of ids per message. */
const RECEIPT_MAX_IDS = 5000;

/** Tells each agent which of its events InfluxDB now holds: one receipt (or a few) per agent per batch. */
export function publishReceipts(client: MqttClient, keys: (ReceiptKey | undefined)[]): void {
  const byAgent = new Map<string, ReceiptKey[]>();
  for (const k of keys) {
    if (!k) continue; // a dead-letter point: nobody waits for its receipt
    const group = `${k.site}/${k.agent}`;
    const list = byAgent.get(group);
    if (list) list.push(k);
    else byAgent.set(group, [k]);
  }
  for (const group of byAgent.values()) {
    const ids = [...new Set(group.map((k) => k.id))];
    const { site, agent } = group[0]!;
    for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS) {
      client.publish(agentTopic(site, agent, 'receipt'), JSON.stringify({ v: 1, ids: ids.slice(i, i + RECEIPT_MAX_IDS) }), { qos: KINDS.receipt.delivery.qos });
    }
  }
}

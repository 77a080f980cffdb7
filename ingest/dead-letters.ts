import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { agentTopic, KINDS, parseTopic, type DeadLetter } from '../protocol/index.js';
import type { OncePerKind } from '../runtime/log.js';
import { printable } from '../runtime/printable.js';
import { deadLetterPoint } from '../storage/points.js';
import type { BatchWriter } from './batch-writer.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The event id of a payload, if it has a readable one, so the agent can match the dead letter to its event. */
function readableId(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString()) as { id?: unknown })?.id;
    return typeof id === 'string' && UUID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A message that will never be stored: counted, logged once per kind of fault, kept as a dead-letter
 * point for audit, and answered to its agent so that it stops resending it.
 */
export function deadLetters(writer: BatchWriter<unknown>, client: MqttClient, rejects: OncePerKind) {
  let count = 0;
  return {
    get count() {
      return count;
    },
    /**
     * `message` as it came: a message's bytes, or a batch item's string (the same bytes as its single
     * message). The agent it is answered to is its topic's, or for a batch's item whose own topic is not
     * valid, the batch's (`from`).
     */
    refuse(fault: string, topic: string, message: Buffer | string, reason: string, from?: { site: string; agent: string }): void {
      const payload = typeof message === 'string' ? Buffer.from(message) : message;
      rejects.report(fault, { topic, reason }, 'message rejected');
      count++;
      const parsed = parseTopic(topic);
      const origin = parsed.ok ? { site: parsed.parts.site, agent: parsed.parts.agent } : from;
      const letter: DeadLetter = {
        v: 1,
        topic: topic.slice(0, 300),
        reason: reason.slice(0, 500),
        firstBytes: printable(payload.subarray(0, 64)),
        payloadSha256: createHash('sha256').update(payload).digest('hex'),
        at: new Date().toISOString(),
      };
      const id = readableId(payload);
      if (id) letter.id = id;
      // No key: nobody waits for the receipt of a dead-letter point.
      writer.offer({ point: deadLetterPoint(origin, fault, letter), key: undefined });
      if (origin) client.publish(agentTopic(origin.site, origin.agent, 'deadletter'), JSON.stringify(letter), { qos: KINDS.deadletter.delivery.qos });
    },
  };
}

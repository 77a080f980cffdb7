import type { Batch } from './messages.js';
import { agentPrefix, agentTopic } from './topics.js';

/** One MQTT message as the agent sends it, or as a batch's item stands for it. */
export interface TopicPayload {
  topic: string;
  payload: string;
}

/** What ingest offered (`accepts`): at most this many events, and this many bytes, per batch. */
export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

const HEAD = '{"v":1,"events":[';
const TAIL = ']}';
const utf8 = new TextEncoder();

/**
 * The messages that carry these events of one agent within the limits ingest offered, in their order:
 * batches, and the event itself where it would travel alone (a group of one, or an event too big for any
 * batch), so that a lone event is the single message every reader knows. Each envelope is joined from its
 * items' own JSON, the bytes JSON.stringify would give for the whole, so that its size is known while it
 * is cut without serializing anything twice.
 */
export function batchMessages(site: string, agent: string, events: readonly TopicPayload[], limits: BatchLimits): TopicPayload[] {
  const prefix = agentPrefix(site, agent);
  const topic = agentTopic(site, agent, 'batch');
  const messages: TopicPayload[] = [];
  let group: { event: TopicPayload; item: string }[] = [];
  let bytes = HEAD.length + TAIL.length;
  const close = () => {
    if (group.length === 1) messages.push(group[0]!.event);
    else if (group.length > 1) messages.push({ topic, payload: `${HEAD}${group.map((g) => g.item).join(',')}${TAIL}` });
    group = [];
    bytes = HEAD.length + TAIL.length;
  };
  for (const event of events) {
    const [device, kind, ...rest] = event.topic.startsWith(prefix) ? event.topic.slice(prefix.length).split('/') : [];
    if (!device || !kind || rest.length) {
      // Not one of this agent's topics: sent as it was queued, for ingest to say why it refuses it.
      close();
      messages.push(event);
      continue;
    }
    const item = JSON.stringify({ device, kind, payload: event.payload });
    const size = utf8.encode(item).byteLength + 1;
    if (group.length && (group.length === limits.maxEvents || bytes + size > limits.maxBytes)) close();
    group.push({ event, item });
    bytes += size;
    if (bytes > limits.maxBytes) close();
  }
  close();
  return messages;
}

/** The single messages a batch stands for, each under the batch's own agent: the topic wins over the body. */
export function unbatch(site: string, agent: string, batch: Batch): TopicPayload[] {
  const prefix = agentPrefix(site, agent);
  return batch.events.map((e) => ({ topic: `${prefix}${e.device}/${e.kind}`, payload: e.payload }));
}

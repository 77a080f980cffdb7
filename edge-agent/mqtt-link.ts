import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import {
  agentTopic,
  agentUsername,
  batchMessages,
  decode,
  deviceTopic,
  INGEST_SENT_KINDS,
  KINDS,
  parseTopic,
  type BatchLimits,
  type DeadLetter,
  type Health,
  type IngestSentKind,
  type Live,
  type Status,
  type TopicPayload,
} from '../protocol/index.js';
import type { MqttConnection } from '../runtime/connections.js';
import type { Logger } from '../runtime/log.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import type { PendingEvents } from './outbox/pending-events.js';

const PUMP_INTERVAL_MS = 1000;
/**
 * After connecting, how long a backlog waits for ingest's offer of batches (the answer to this agent's
 * status) before it goes one message per event: an ingest older than the offer never answers.
 */
const OFFER_WAIT_MS = 2000;

/**
 * The agent's MQTT session: a retained status with a last will (a dead agent shows offline), receipts
 * in, events out. Events are published only while connected and resent from the pending queue, never
 * from mqtt.js's in-memory offline queue, so there is one source of truth for what is unacknowledged.
 * Once ingest offers batches, events due together go in batches (a lone event still goes alone); a batch
 * that ingest refuses whole sends the agent back to one message per event until ingest offers again.
 */
export interface AgentLinkEvents {
  /** Ingest stored these events. */
  receipt: [ids: string[]];
  /** Ingest will never store this message. */
  deadletter: [letter: DeadLetter];
  /** The link to the broker came up or went down (the kiosk shows it). */
  link: [connected: boolean];
}

/** MQTT 3.1.1 CONNACK return codes of a refused login. */
const CONNACK_BAD_CREDENTIALS = 4;
const CONNACK_NOT_AUTHORIZED = 5;
const RECONNECT_MS = 1000;
const REFUSED_RECONNECT_MS = 60_000;

export class AgentLink extends EventEmitter<AgentLinkEvents> {
  private readonly client: MqttClient;
  private readonly pump: NodeJS.Timeout;
  private lastStatus: Status | undefined;
  /**
   * What ingest offered, kept across reconnections: a backlog sent at once after a reconnection goes in
   * batches. An ingest replaced meanwhile by an older one refuses the first batch, which ends the offer.
   */
  private offer: BatchLimits | undefined;
  private offerWait: NodeJS.Timeout | undefined;
  private readonly batchTopic: string;

  constructor(
    private readonly ids: { site: string; agent: string },
    mqttConfig: MqttConnection,
    private readonly pending: PendingEvents,
    log: Logger,
    /** The payload to send for a stored one (a repaired time), or undefined to hold it for now. */
    private readonly prepare: (payload: string) => string | undefined = (p) => p,
  ) {
    super();
    const statusTopic = agentTopic(ids.site, ids.agent, 'status');
    this.batchTopic = agentTopic(ids.site, ids.agent, 'batch');
    // No clientId: the agent's is its username, the one id the broker lets it (and only it) use.
    this.client = connectMqtt(mqttConfig, agentUsername(ids.site, ids.agent), {
      queueQoSZero: false,
      will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline' })), ...KINDS.status.delivery },
    });
    let refused = false;
    this.client.on('connect', () => {
      log.info({ url: mqttConfig.url }, 'connected to MQTT broker');
      refused = false;
      this.client.options.reconnectPeriod = RECONNECT_MS;
      // What ingest sends this agent (receipts, dead letters), from the contract's table.
      this.client.subscribe(INGEST_SENT_KINDS.map((kind) => agentTopic(ids.site, ids.agent, kind)), { qos: 1 });
      if (this.lastStatus) this.publishStatus(this.lastStatus);
      this.pending.resetSchedule();
      if (!this.offer) {
        clearTimeout(this.offerWait);
        this.offerWait = setTimeout(() => {
          this.offerWait = undefined;
          this.flush();
        }, OFFER_WAIT_MS);
      }
      this.flush();
      this.emit('link', true);
    });
    this.client.on('close', () => {
      log.debug('MQTT connection closed');
      this.emit('link', false);
    });
    this.client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      // Refused credentials do not heal by retrying each second: the agent was revoked, or enrolled again
      // elsewhere. Say it once, with the fix, and knock only once a minute (the outbox keeps every event).
      if (code === CONNACK_BAD_CREDENTIALS || code === CONNACK_NOT_AUTHORIZED) {
        if (!refused) {
          refused = true;
          log.error({ err: err.message }, "the broker refuses this agent's credentials: it was revoked, or enrolled again on another Pi. Events are kept; enrol it again (`trebuchet agent enroll` on the server, `trebuchet agent join` here). Retrying every minute");
        }
        this.client.options.reconnectPeriod = REFUSED_RECONNECT_MS;
        return;
      }
      log.warn({ err: err.message }, 'MQTT error');
    });
    // One handler per kind ingest sends, typed by the contract's table: a kind added there needs one here.
    const handlers: { [K in IngestSentKind]: (payload: Buffer, topic: string) => void } = {
      receipt: (payload, topic) => {
        const receipt = decode('receipt', payload);
        if (!receipt.ok) return log.warn({ topic, reason: receipt.reason }, 'invalid receipt ignored');
        this.emit('receipt', receipt.value.ids);
      },
      deadletter: (payload, topic) => {
        const letter = decode('deadletter', payload);
        if (!letter.ok) return log.warn({ topic, reason: letter.reason }, 'invalid dead letter ignored');
        if (letter.value.topic !== this.batchTopic) return this.emit('deadletter', letter.value);
        // A whole batch refused (an older ingest, sharing the load or put back): its events are still
        // queued, and are resent one per message when their receipt is late.
        this.offer = undefined;
        log.warn({ reason: letter.value.reason }, 'ingest refused a batch: sending one message per event until it offers batches again');
      },
      accepts: (payload, topic) => {
        const accepts = decode('accepts', payload);
        if (!accepts.ok) return log.warn({ topic, reason: accepts.reason }, 'invalid offer from ingest ignored');
        if (accepts.value.batch && !this.offer) log.info(accepts.value.batch, 'ingest accepts batches: events due together are sent in batches');
        this.offer = accepts.value.batch;
        clearTimeout(this.offerWait);
        this.offerWait = undefined;
        this.flush();
      },
    };
    this.client.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      const kind = parsed.ok ? parsed.parts.kind : undefined;
      if (kind && Object.hasOwn(handlers, kind)) handlers[kind as IngestSentKind](payload, topic);
    });
    this.pump = setInterval(() => this.flush(), PUMP_INTERVAL_MS);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Publishes whatever is due from the pending queue: in batches if ingest offered them. */
  flush(): void {
    if (!this.client.connected) return;
    // A backlog waits for the offer (at most OFFER_WAIT_MS); a lone event does not.
    if (this.offerWait && this.pending.hasDue(2)) return;
    const ready: TopicPayload[] = [];
    this.pending.takeDue((e) => {
      const payload = this.prepare(e.payload);
      if (payload !== undefined) ready.push({ topic: e.topic, payload });
      return payload !== undefined;
    });
    const messages = this.offer ? batchMessages(this.ids.site, this.ids.agent, ready, this.offer) : ready;
    for (const m of messages) this.client.publish(m.topic, m.payload, { qos: 1 });
  }

  publishLive(device: string, live: Live): void {
    if (!this.client.connected) return;
    this.client.publish(deviceTopic(this.ids.site, this.ids.agent, device, 'live'), JSON.stringify(live), KINDS.live.delivery);
  }

  publishStatus(status: Status): void {
    this.lastStatus = status;
    if (!this.client.connected) return;
    this.client.publish(agentTopic(this.ids.site, this.ids.agent, 'status'), JSON.stringify(status), KINDS.status.delivery);
  }

  publishHealth(health: Health): void {
    if (!this.client.connected) return;
    this.client.publish(agentTopic(this.ids.site, this.ids.agent, 'health'), JSON.stringify(health), KINDS.health.delivery);
  }

  /** Says goodbye with an offline status (a clean stop is not a crash, but the agent is gone all the same). */
  async stop(): Promise<void> {
    clearInterval(this.pump);
    clearTimeout(this.offerWait);
    if (this.client.connected) {
      await this.client.publishAsync(agentTopic(this.ids.site, this.ids.agent, 'status'), JSON.stringify({ v: 1, state: 'offline', t: new Date().toISOString() }), KINDS.status.delivery);
    }
    // Without a broker, a graceful end waits forever for in-flight QoS 1 messages; they are in the outbox anyway.
    await this.client.endAsync(!this.client.connected);
  }
}

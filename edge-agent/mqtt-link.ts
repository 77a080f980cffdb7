import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import {
  agentTopic,
  agentUsername,
  decode,
  deviceTopic,
  INGEST_SENT_KINDS,
  KINDS,
  type DeadLetter,
  type Health,
  type Live,
  type Status,
} from '../protocol/index.js';
import type { MqttConnection } from '../runtime/connections.js';
import type { Logger } from '../runtime/log.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import type { PendingEvents } from './outbox/pending-events.js';

const PUMP_INTERVAL_MS = 1000;

/**
 * The agent's MQTT session: a retained status with a last will (a dead agent shows offline), receipts
 * in, events out. Events are published only while connected and resent from the pending queue, never
 * from mqtt.js's in-memory offline queue, so there is one source of truth for what is unacknowledged.
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
    this.client.on('message', (topic, payload) => {
      if (topic.endsWith('/deadletter')) {
        const letter = decode('deadletter', payload);
        if (!letter.ok) return log.warn({ topic, reason: letter.reason }, 'invalid dead letter ignored');
        return this.emit('deadletter', letter.value);
      }
      const receipt = decode('receipt', payload);
      if (!receipt.ok) return log.warn({ topic, reason: receipt.reason }, 'invalid receipt ignored');
      this.emit('receipt', receipt.value.ids);
    });
    this.pump = setInterval(() => this.flush(), PUMP_INTERVAL_MS);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Publishes whatever is due from the pending queue. */
  flush(): void {
    if (!this.client.connected) return;
    const ready = new Map<string, string>();
    const due = this.pending.takeDue((e) => {
      const payload = this.prepare(e.payload);
      if (payload !== undefined) ready.set(e.id, payload);
      return payload !== undefined;
    });
    for (const event of due) this.client.publish(event.topic, ready.get(event.id)!, { qos: 1 });
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
    if (this.client.connected) {
      await this.client.publishAsync(agentTopic(this.ids.site, this.ids.agent, 'status'), JSON.stringify({ v: 1, state: 'offline', t: new Date().toISOString() }), KINDS.status.delivery);
    }
    // Without a broker, a graceful end waits forever for in-flight QoS 1 messages; they are in the outbox anyway.
    await this.client.endAsync(!this.client.connected);
  }
}

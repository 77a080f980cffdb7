import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MqttClient } from 'mqtt';
import { AGENT_DEVICE, agentTopic, decode, kindFilter, parseTopic } from '../../protocol/index.js';
import { OncePerKind, type Logger } from '../../runtime/log.js';
import { SseClients, sseFrame as frame, type SseClientsOptions } from '../../runtime/sse.js';
import type { LinkEvent, LiveEvent, StatusEvent, WeighingEvent } from './types.js';

export interface LiveHubOptions extends SseClientsOptions {
  /** Only this site's topics are subscribed: the page shows one site. */
  site: string;
  /** Bound on remembered scales and agents, against a flood of made-up device ids. */
  maxRemembered?: number;
}

export interface LiveHubStats {
  clients: number;
  slowClientsDropped: number;
  invalidMessages: Record<string, number>;
}

/** Sets a key as the newest entry of a bounded map, forgetting the oldest one past `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

/**
 * One MQTT subscription shared by every browser: validates messages with the protocol schemas, remembers the
 * last live value per scale and the last status per agent for newcomers, and fans events out over SSE.
 */
export class LiveHub {
  private readonly clients: SseClients;
  private readonly lives = new Map<string, LiveEvent>();
  private readonly statuses = new Map<string, StatusEvent>();
  private readonly invalid: OncePerKind;
  private readonly filters: string[];
  private readonly maxRemembered: number;
  private linked = false;

  constructor(
    private readonly mqtt: MqttClient,
    private readonly log: Logger,
    opts: LiveHubOptions,
  ) {
    this.invalid = new OncePerKind(log);
    this.clients = new SseClients(opts);
    this.maxRemembered = opts.maxRemembered ?? 1_000;
    this.filters = [kindFilter('live', opts.site), kindFilter('weighing', opts.site), agentTopic(opts.site, '+', 'status')];
    mqtt.on('connect', this.onConnect);
    mqtt.on('close', this.onClose);
    mqtt.on('message', this.onMessage);
    if (mqtt.connected) this.onConnect();
  }

  private readonly onConnect = (): void => {
    // Subscribed on every connect rather than relying on a persistent session: the broker may have restarted.
    this.mqtt.subscribe(this.filters, { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'live stream: MQTT subscribe failed');
    });
    this.setLinked(true);
  };

  private readonly onClose = (): void => this.setLinked(false);

  private setLinked(linked: boolean): void {
    if (linked === this.linked) return;
    this.linked = linked;
    this.broadcast(frame('link', this.link()));
  }

  private link(): LinkEvent {
    return { mqtt: this.linked ? 'connected' : 'disconnected' };
  }

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    const parsed = parseTopic(topic);
    if (!parsed.ok) {
      this.invalid.report('topic', { topic, reason: parsed.reason }, 'live stream: dropped a message on an invalid topic');
      return;
    }
    const { site, agent, device, kind } = parsed.parts;
    if (kind === 'live') {
      const msg = decode('live', payload);
      if (!msg.ok) return this.invalid.report('live', { topic, reason: msg.reason }, 'live stream: dropped an invalid live message');
      const event: LiveEvent = { site, agent, device, kg: msg.value.kg, state: msg.value.state, t: msg.value.t };
      remember(this.lives, `${site}/${agent}/${device}`, event, this.maxRemembered);
      this.broadcast(frame('live', event));
    } else if (kind === 'weighing') {
      const msg = decode('weighing', payload);
      if (!msg.ok) return this.invalid.report('weighing', { topic, reason: msg.reason }, 'live stream: dropped an invalid weighing');
      this.broadcast(frame('weighing', { site, agent, device, ...msg.value } satisfies WeighingEvent));
    } else if (kind === 'status' && device === AGENT_DEVICE) {
      const msg = decode('status', payload);
      if (!msg.ok) return this.invalid.report('status', { topic, reason: msg.reason }, 'live stream: dropped an invalid status');
      const event: StatusEvent = { site, agent, ...msg.value };
      remember(this.statuses, `${site}/${agent}`, event, this.maxRemembered);
      this.broadcast(frame('status', event));
    }
  };

  /** Starts streaming to a client: a newcomer sees every scale and agent at once instead of waiting for the next change. */
  add(reply: FastifyReply): void {
    let hello = frame('link', this.link());
    for (const status of this.statuses.values()) hello += frame('status', status);
    for (const live of this.lives.values()) hello += frame('live', live);
    this.clients.attach(reply, hello);
  }

  private broadcast(chunk: string): void {
    this.clients.broadcast(chunk);
  }

  stats(): LiveHubStats {
    return { clients: this.clients.size, slowClientsDropped: this.clients.slowClientsDropped, invalidMessages: this.invalid.snapshot() };
  }

  /** Ends every stream and detaches from MQTT; the MQTT client itself belongs to the caller. */
  close(): void {
    this.mqtt.off('connect', this.onConnect);
    this.mqtt.off('close', this.onClose);
    this.mqtt.off('message', this.onMessage);
    this.clients.close();
  }
}

export function registerLiveStream(app: FastifyInstance, hub: LiveHub): void {
  app.get('/api/v1/live', (req, reply) => {
    hub.add(reply);
    req.log.debug('live stream client connected');
  });
}

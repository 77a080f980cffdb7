import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { MqttClient } from 'mqtt';
import { AGENT_DEVICE, agentTopic, decode, kindFilter, parseTopic } from '../../protocol/index.js';
import { OncePerKind, type Logger } from '../../runtime/log.js';
import type { LinkEvent, LiveEvent, StatusEvent, WeighingEvent } from './types.js';

export interface LiveHubOptions {
  /** Only this site's topics are subscribed: the page shows one site. */
  site: string;
  /** Bytes a client may have waiting unsent before it is dropped. */
  maxClientBufferBytes?: number;
  maxClients?: number;
  heartbeatMs?: number;
  /** Bound on remembered scales and agents, against a flood of made-up device ids. */
  maxRemembered?: number;
}

export interface LiveHubStats {
  clients: number;
  slowClientsDropped: number;
  invalidMessages: Record<string, number>;
}

function frame(event: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one `data:` line is always enough.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
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
  private readonly clients = new Set<ServerResponse>();
  private readonly lives = new Map<string, LiveEvent>();
  private readonly statuses = new Map<string, StatusEvent>();
  private readonly invalid: OncePerKind;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly filters: string[];
  private readonly maxBuffer: number;
  private readonly maxClients: number;
  private readonly maxRemembered: number;
  private slowDropped = 0;
  private linked = false;

  constructor(
    private readonly mqtt: MqttClient,
    private readonly log: Logger,
    opts: LiveHubOptions,
  ) {
    this.invalid = new OncePerKind(log);
    this.maxBuffer = opts.maxClientBufferBytes ?? 256 * 1024;
    this.maxClients = opts.maxClients ?? 200;
    this.maxRemembered = opts.maxRemembered ?? 1_000;
    this.filters = [kindFilter('live', opts.site), kindFilter('weighing', opts.site), agentTopic(opts.site, '+', 'status')];
    mqtt.on('connect', this.onConnect);
    mqtt.on('close', this.onClose);
    mqtt.on('message', this.onMessage);
    if (mqtt.connected) this.onConnect();
    // Proxies and browsers close idle streams; a comment line keeps them open and reveals dead sockets.
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
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

  /** Starts streaming to a response whose headers are not sent yet; false when the server is full. */
  add(res: ServerResponse): boolean {
    if (this.clients.size >= this.maxClients) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream and deliver weights in bursts.
      'x-accel-buffering': 'no',
    });
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    // A newcomer sees every scale and agent at once instead of waiting for the next change.
    let hello = `retry: 3000\n\n${frame('link', this.link())}`;
    for (const status of this.statuses.values()) hello += frame('status', status);
    for (const live of this.lives.values()) hello += frame('live', live);
    this.send(res, hello);
    return true;
  }

  private send(res: ServerResponse, chunk: string): void {
    if (res.writableLength > this.maxBuffer) {
      // A client that does not read (asleep tablet, stalled network) is dropped; it reconnects when it wakes.
      this.slowDropped++;
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) this.send(res, chunk);
  }

  stats(): LiveHubStats {
    return { clients: this.clients.size, slowClientsDropped: this.slowDropped, invalidMessages: this.invalid.snapshot() };
  }

  /** Ends every stream and detaches from MQTT; the MQTT client itself belongs to the caller. */
  close(): void {
    clearInterval(this.heartbeat);
    this.mqtt.off('connect', this.onConnect);
    this.mqtt.off('close', this.onClose);
    this.mqtt.off('message', this.onMessage);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

export function registerLiveStream(app: FastifyInstance, hub: LiveHub): void {
  app.get('/api/v1/live', (req, reply) => {
    reply.hijack();
    if (!hub.add(reply.raw)) {
      reply.raw.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      reply.raw.end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'too many live clients' }));
      return;
    }
    req.log.debug('live stream client connected');
  });
}

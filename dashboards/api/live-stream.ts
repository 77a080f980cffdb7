import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MqttClient } from 'mqtt';
import { z } from 'zod';
import { AGENT_DEVICE, agentTopic, decode, kindFilter, parseTopic, slug, unbatch, type TopicParts } from '../../protocol/index.js';
import type { SiteConfig } from '../../runtime/connections.js';
import { NETWORK } from '../queries/scope.js';
import { parseQuery, resolveScope } from './query-errors.js';
import { OncePerKind, type Logger } from '../../runtime/log.js';
import { SseClients, sseFrame as frame, type SseClientsOptions } from '../../runtime/sse.js';
import type { Health } from '../../protocol/index.js';
import type { AgentState, DevicesReport } from '../reports/report-types.js';
import type { LinkEvent, LiveEvent, StatusEvent, WeighingEvent } from './types.js';

export interface LiveHubOptions extends SseClientsOptions {
  /** Only these sites' topics are subscribed: the ones this server shows. */
  sites: readonly string[];
  /** Bound on remembered scales and agents, against a flood of made-up device ids. */
  maxRemembered?: number;
}

export interface LiveHubStats {
  clients: number;
  slowClientsDropped: number;
  invalidMessages: Record<string, number>;
}

/**
 * A batch is a backlog (or a burst): the stream carries its newest weighings, enough for the pages' lists of
 * the latest, and the pages read the figures from the API, which they refresh after a weighing. A frame for
 * each of 500 weighings is 200 KiB written at once, and SseClients drops a client with that much unsent.
 */
const LIVE_WEIGHINGS_PER_BATCH = 20;

/** Sets a key as the newest entry of a bounded map, forgetting the oldest one past `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

/** The most recent of some ISO times, as given; null when there is none. */
function latest(...times: (string | null | undefined)[]): string | null {
  let best: string | null = null;
  for (const t of times) if (t && (best === null || Date.parse(t) > Date.parse(best))) best = t;
  return best;
}

/**
 * One MQTT subscription shared by every browser: validates messages with the protocol schemas, remembers the
 * last live value per scale and the last status per agent for newcomers, and fans events out over SSE.
 */
export class LiveHub {
  private readonly clients: SseClients;
  private readonly lives = new Map<string, LiveEvent>();
  private readonly statuses = new Map<string, StatusEvent>();
  private readonly healths = new Map<string, Health>();
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
    // Batches too: a backlog's weighings travel in them (protocol/batch.ts).
    this.filters = opts.sites.flatMap((site) => [kindFilter('live', site), kindFilter('weighing', site), agentTopic(site, '+', 'batch'), agentTopic(site, '+', 'status'), agentTopic(site, '+', 'health')]);
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
    if (kind === 'batch') {
      const msg = decode('batch', payload);
      if (!msg.ok) return this.invalid.report('batch', { topic, reason: msg.reason }, 'live stream: dropped an invalid batch');
      // Its newest weighings only, oldest first (items are in capture order).
      const weighings = unbatch(site, agent, msg.value).flatMap((item) => {
        const itemTopic = parseTopic(item.topic);
        return itemTopic.ok && itemTopic.parts.kind === 'weighing' ? [{ ...item, parts: itemTopic.parts }] : [];
      });
      for (const w of weighings.slice(-LIVE_WEIGHINGS_PER_BATCH)) this.weighing(w.parts, w.topic, w.payload);
    } else if (kind === 'live') {
      const msg = decode('live', payload);
      if (!msg.ok) return this.invalid.report('live', { topic, reason: msg.reason }, 'live stream: dropped an invalid live message');
      const event: LiveEvent = { site, agent, device, kg: msg.value.kg, state: msg.value.state, t: msg.value.t };
      remember(this.lives, `${site}/${agent}/${device}`, event, this.maxRemembered);
      this.broadcast(frame('live', event));
    } else if (kind === 'weighing') {
      this.weighing(parsed.parts, topic, payload);
    } else if (kind === 'status' && device === AGENT_DEVICE) {
      const msg = decode('status', payload);
      if (!msg.ok) return this.invalid.report('status', { topic, reason: msg.reason }, 'live stream: dropped an invalid status');
      const event: StatusEvent = { site, agent, ...msg.value };
      remember(this.statuses, `${site}/${agent}`, event, this.maxRemembered);
      this.broadcast(frame('status', event));
    } else if (kind === 'health' && device === AGENT_DEVICE) {
      const msg = decode('health', payload);
      if (!msg.ok) return this.invalid.report('health', { topic, reason: msg.reason }, 'live stream: dropped an invalid health message');
      // Not streamed: the Appareils page asks for the report; health comes every few seconds per agent.
      remember(this.healths, `${site}/${agent}`, msg.value, this.maxRemembered);
    }
  };

  private weighing({ site, agent, device }: TopicParts, topic: string, payload: Buffer | string): void {
    const msg = decode('weighing', payload);
    if (!msg.ok) return this.invalid.report('weighing', { topic, reason: msg.reason }, 'live stream: dropped an invalid weighing');
    this.broadcast(frame('weighing', { site, agent, device, ...msg.value } satisfies WeighingEvent));
  }

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

  /** Every agent of the given sites that has published a status, with its devices and its last health. */
  devices(sites: readonly string[]): DevicesReport['agents'] {
    const wanted = new Set(sites);
    const agents: AgentState[] = [];
    for (const [key, status] of this.statuses) {
      if (!wanted.has(status.site)) continue;
      const health = this.healths.get(key);
      // A device's state from the newer of the two: the health sent at start predates the devices' first readings.
      const healthFirst = health !== undefined && latest(health.t, status.t) === health.t;
      const ids = [...new Set([...Object.keys(status.devices ?? {}), ...Object.keys(health?.devices ?? {})])].sort();
      agents.push({
        site: status.site,
        agent: status.agent,
        state: status.state,
        since: status.t ?? null,
        version: status.version ?? null,
        devices: ids.map((id) => {
          const live = this.lives.get(`${key}/${id}`);
          const fromHealth = health?.devices[id];
          const fromStatus = status.devices?.[id];
          return {
            id,
            state: (healthFirst ? (fromHealth ?? fromStatus) : (fromStatus ?? fromHealth))?.state ?? 'unknown',
            errors: fromHealth?.errors ?? null,
            live: live ? { kg: live.kg, state: live.state, t: live.t } : null,
            lastReadingAt: latest(fromHealth?.lastReadingAt, fromStatus?.lastReadingAt, live?.t),
          };
        }),
        health: health
          ? {
              t: health.t,
              outboxDepth: health.outbox.depth,
              oldestPendingS: health.outbox.oldestAgeS,
              deadLetters: health.outbox.deadLetters ?? 0,
              diskFreeBytes: health.diskFreeBytes,
              clockSynced: health.clock.synced,
            }
          : null,
      });
    }
    return agents.sort((a, b) => a.site.localeCompare(b.site) || a.agent.localeCompare(b.agent));
  }

  get connected(): boolean {
    return this.linked;
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

const devicesQuerySchema = z.object({ site: z.union([slug, z.literal(NETWORK)]).optional() }).strict();

/** `devices`, the agents and their devices as the hub last heard of them, and `live`, the SSE stream itself. */
export async function liveRoutes(app: FastifyInstance, { hub, sites }: { hub: LiveHub; sites: SiteConfig[] }): Promise<void> {
  app.get('/devices', async (req, reply): Promise<DevicesReport | FastifyReply> => {
    const q = parseQuery(devicesQuerySchema, req.query, reply);
    const scope = q && resolveScope(q.site, sites, reply);
    if (!q || !scope) return reply;
    return { scope: scope.id, mqtt: hub.connected ? 'connected' : 'disconnected', agents: hub.devices(scope.sites.map((s) => s.id)) };
  });

  app.get('/live', (req, reply) => {
    hub.add(reply);
    req.log.debug('live stream client connected');
  });
}

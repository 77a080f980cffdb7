import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ENROLMENT_JOIN_PATH, joinRequestSchema } from '../../protocol/index.js';
import type { Logger } from '../../runtime/log.js';
import { hostName } from '../../runtime/request-guard.js';
import type { BrokerConfig } from '../config.js';
import { CodeRefused, redeemCode } from './codes.js';
import { agentUrls, issueIdentity } from './identity.js';

export interface EnrolmentOptions {
  config: BrokerConfig;
  caPem: string | undefined;
  /** The port the TLS listener really got (0 in the config: a free one). */
  tlsPort: number | undefined;
  log: Logger;
}

/**
 * The endpoint a Pi joins through: a valid code buys the agent's identity once. Rate-limited per address, so
 * that codes cannot be guessed; every refusal says why, for the operator at the shop.
 */
export async function enrolmentRoutes(app: FastifyInstance, { config, caPem, tlsPort, log }: EnrolmentOptions): Promise<void> {
  await app.register(fastifyRateLimit, { max: config.enrolment.attemptsPerMinute, timeWindow: 60_000 });
  app.post(ENROLMENT_JOIN_PATH, async (req, reply) => {
    const body = joinRequestSchema.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected {"code": "…"}' });
    let place: { site: string; agent: string };
    try {
      place = redeemCode(config.dataDir, body.data.code, req.ip);
    } catch (err) {
      if (!(err instanceof CodeRefused)) throw err;
      log.warn({ address: req.ip, reason: err.message }, 'enrolment refused');
      return reply.code(403).send({ error: err.message });
    }
    // The name and port the Pi reached us by passed its certificate check and its network: its URLs use them
    // (behind a NAT, the port it sees may not be the one we listen on).
    const host = req.headers.host ?? '';
    const httpsPort = Number(/:(\d+)$/.exec(host)?.[1] ?? 443);
    const urls = agentUrls({ ...config, tls: config.tls && tlsPort !== undefined ? { ...config.tls, port: tlsPort } : config.tls }, hostName(host), httpsPort);
    const identity = issueIdentity(config.dataDir, place, urls, caPem);
    log.info({ ...place, address: req.ip }, 'agent enrolled: its identity was handed out');
    return reply.header('cache-control', 'no-store').send(identity);
  });
}

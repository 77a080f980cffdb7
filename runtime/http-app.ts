import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import type { Logger } from './log.js';
import { guardRequests, type RequestGuardOptions } from './request-guard.js';

/** Requests go to the debug level: every open page polls the API, which would drown an info log. Errors stay errors. */
class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply);
    else reply.log.debug({ statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Our pages load only their own bundled script, style and data: URI icons, and talk only to their server.
 * Inline style attributes stay allowed: the charts' tooltips are HTML with style attributes (echarts).
 * No page may frame ours (clickjacking a kiosk's « Abandonner »).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // frame-ancestors' elder, for browsers that predate it.
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/**
 * A Fastify app logging through the component's pino logger, sending the security headers on every answer
 * and refusing cross-site and rebound requests (request-guard.ts).
 */
export function createHttpApp(log: Logger, guard: RequestGuardOptions = {}, serverFactory?: FastifyServerFactory) {
  // Fastify's logger type is pino's minus a few fields; the instance is a real pino child logger.
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new QuietRequestLog(), forceCloseConnections: true, serverFactory });
  app.addHook('onRequest', async (_req, reply) => {
    void reply.headers(SECURITY_HEADERS);
  });
  guardRequests(app, guard);
  return app;
}

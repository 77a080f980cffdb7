import type { SecureContextOptions } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
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
 * A browser that got this over HTTPS goes to that name over HTTPS only, for a year. Not includeSubDomains:
 * other hosts of the domain may still be plain HTTP. Never on plain HTTP answers, where a browser ignores
 * it anyway (RFC 6797) and the local `npm start` must stay reachable.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export interface HttpServerOptions {
  /** Serve HTTPS with this PEM certificate and key; `app.server.setSecureContext` takes a renewed pair. */
  https?: SecureContextOptions;
  /**
   * The reverse proxies' addresses or CIDR ranges: only from them are X-Forwarded-For (the client's address,
   * which the rate limits key on) and X-Forwarded-Proto believed (Fastify's trustProxy). None by default.
   */
  trustProxy?: readonly string[];
}

/** Called only for a route declaring a schema; there are none, and one would be checked twice. */
function noRouteSchemas(): never {
  throw new Error('Fastify route schemas are not used here: validate the body with zod in the handler');
}

/**
 * A Fastify app logging through the component's pino logger, sending the security headers on every answer
 * and refusing cross-site and rebound requests (request-guard.ts).
 */
export function createHttpApp(log: Logger, guard: RequestGuardOptions = {}, server: HttpServerOptions = {}) {
  // Fastify's logger type is pino's minus a few fields; the instance is a real pino child logger.
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new QuietRequestLog(),
    forceCloseConnections: true,
    // Bodies are checked with zod in the handlers, as at every boundary: no route has a Fastify schema. Given
    // compilers, Fastify never loads Ajv and fast-json-stringify, which it otherwise does at start for nothing.
    schemaController: { compilersFactory: { buildValidator: noRouteSchemas, buildSerializer: noRouteSchemas } },
    // The HTTPS server's type would change every plugin's; callers that serve HTTPS reach its TLS methods by a cast.
    ...((server.https ? { https: server.https } : {}) as object),
    ...(server.trustProxy ? { trustProxy: [...server.trustProxy] } : {}),
  });
  app.addHook('onRequest', async (req, reply) => {
    void reply.headers(SECURITY_HEADERS);
    // Direct TLS, or a trusted proxy's X-Forwarded-Proto: anyone else's is not believed (trustProxy).
    if (req.protocol === 'https') void reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  });
  guardRequests(app, guard);
  return app;
}

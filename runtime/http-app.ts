import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from './log.js';

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

/** A Fastify app logging through the component's pino logger. */
export function createHttpApp(log: Logger) {
  // Fastify's logger type is pino's minus a few fields; the instance is a real pino child logger.
  return Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new QuietRequestLog(), forceCloseConnections: true });
}

import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from './log.js';

/**
 * A Fastify app logging through the component's pino logger. Per-request lines are off: a dashboard
 * polled by several screens would drown the useful lines; errors are still logged.
 */
export function createHttpApp(log: Logger) {
  return Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
}

import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SiteConfig } from '../../runtime/connections.js';
import { NETWORK, type Scope } from '../queries/scope.js';

/**
 * Validates a query string; on failure answers 400 with a message that names the fields, and returns undefined.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown, reply: FastifyReply): z.infer<S> | undefined {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const fields: string[] = [];
  const messages: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      fields.push(...issue.keys);
      messages.push(`${issue.keys.join(', ')}: unknown query parameter; allowed: ${allowed.join(', ')}`);
    } else {
      const field = issue.path.join('.');
      fields.push(field);
      messages.push(`${field}: ${issue.message}`);
    }
  }
  void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: messages.join('; '), fields: [...new Set(fields)] });
  return undefined;
}

/** The sites a `site` parameter names; answers 404 and returns undefined for a site this server does not show. */
export function resolveScope(requested: string | undefined, sites: SiteConfig[], reply: FastifyReply): Scope | undefined {
  if (requested === NETWORK) return { id: NETWORK, sites };
  const site = requested === undefined ? sites[0] : sites.find((s) => s.id === requested);
  if (site) return { id: site.id, sites: [site] };
  void reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `site "${requested}" is not served here; sites: ${sites.map((s) => s.id).join(', ')}, or "${NETWORK}" for all` });
  return undefined;
}

export function influxUnavailable(reply: FastifyReply, log: FastifyBaseLogger, err: unknown): FastifyReply {
  const detail = err instanceof Error ? err.message : String(err);
  log.warn({ err: detail }, 'InfluxDB query failed');
  return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: `InfluxDB query failed: ${detail}` });
}

import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { z } from 'zod';

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

export function influxUnavailable(reply: FastifyReply, log: FastifyBaseLogger, err: unknown): FastifyReply {
  const detail = err instanceof Error ? err.message : String(err);
  log.warn({ err: detail }, 'InfluxDB query failed');
  return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: `InfluxDB query failed: ${detail}` });
}

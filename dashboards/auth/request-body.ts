import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { describeIssues } from '../../protocol/index.js';

/** Validates a JSON body; on failure answers 400 naming the fields, and returns undefined. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.infer<S> | undefined {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : [i.path.join('.') || '(body)'])))];
  void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: describeIssues(result.error), fields });
  return undefined;
}

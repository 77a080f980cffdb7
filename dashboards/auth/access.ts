import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role, User } from './users-file.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in account, set by the session check before any /api/ handler runs. */
    user: User | null;
  }
}

/** What each role may do: an admin also sees everything a viewer sees. */
const GRANTS: Record<Role, readonly Role[]> = { viewer: ['viewer'], admin: ['viewer', 'admin'] };

export function unauthorized(reply: FastifyReply, message = 'Connectez-vous. / Sign in first.'): FastifyReply {
  return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message });
}

/** A preHandler for the routes of one role: 403 for a signed-in user without it. */
export function requireRole(role: Role): preHandlerAsyncHookHandler {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.user) return unauthorized(reply);
    if (!GRANTS[req.user.role].includes(role)) {
      return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `Réservé au rôle ${role}. / For the ${role} role only.` });
    }
  };
}

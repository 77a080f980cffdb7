import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Accounts } from './accounts.js';
import { openSession, readSession, sessionDueForRenewal, type Session } from './session.js';
import type { Role, User } from './users-file.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in account, set by the session check (requireSession) before any handler of its context runs. */
    user: User | null;
  }
}

/** How often open answers (the live stream) are checked against the accounts. */
const OPEN_RESPONSES_CHECK_MS = 2_000;

/** What each role may do: an admin also sees everything a viewer sees. */
const GRANTS: Record<Role, readonly Role[]> = { viewer: ['viewer'], admin: ['viewer', 'admin'] };

export function unauthorized(reply: FastifyReply, message = 'Connectez-vous. / Sign in first.'): FastifyReply {
  return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message });
}

/**
 * Makes a valid session the condition of every request this context routes (401 without one), and sets
 * `req.user`: a hook of the context rather than a check in each route, so that no route registered in it,
 * nor in its children, can forget it. Unknown paths under its prefix get the check too, so that an
 * anonymous caller cannot tell which routes exist.
 */
export function requireSession(app: FastifyInstance, accounts: Accounts): void {
  app.decorateRequest('user', null);

  // Answers still open (the live stream) with their session: one whose account is removed or given a new
  // password is cut within seconds, like every later request of that session.
  const open = new Map<ServerResponse, Session>();
  const sweep = setInterval(() => {
    for (const [res, session] of open) if (!accounts.of(session)) res.destroy();
  }, OPEN_RESPONSES_CHECK_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', async (req, reply) => {
    const session = readSession(req);
    const user = session && accounts.of(session);
    if (!session || !user) return unauthorized(reply);
    if (sessionDueForRenewal(session)) openSession(reply, user, session.i);
    req.user = user;
    open.set(reply.raw, session);
    reply.raw.on('close', () => open.delete(reply.raw));
  });

  // Fastify's default answer and log line, from a handler of this context so that the hook above runs first.
  app.setNotFoundHandler((req, reply) => {
    const message = `Route ${req.method}:${req.url} not found`;
    req.log.info(message);
    return reply.code(404).send({ message, error: 'Not Found', statusCode: 404 });
  });
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

import type { ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../runtime/log.js';
import { unauthorized } from './access.js';
import { passwordHashSchema, verifyPassword } from './password.js';
import { parseBody } from './request-body.js';
import { closeSession, loadSessionSecret, openSession, readSession, sessionDueForRenewal, sessionSecretPath, type Session } from './session.js';
import { DEFAULT_USERS_FILE, UsersFile, type User } from './users-file.js';
import { registerUsersRoutes } from './users-routes.js';

/** The only /api/ routes an anonymous caller may use: signing in, and learning that no account exists yet. */
const PUBLIC_ROUTES = new Set(['/api/v1/login', '/api/v1/login-state']);

/** Sign-in attempts per minute and per address: enough for typos, far too few to guess a password. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** How often open answers (the live stream) are checked against the accounts. */
const OPEN_RESPONSES_CHECK_MS = 2_000;

// Names are lower-case: a phone capitalising the first letter must not make a right password fail.
const loginBody = z.object({ name: z.string().trim().toLowerCase().min(1).max(64), password: z.string().min(1).max(1024) });

const WRONG_LOGIN = 'Nom ou mot de passe incorrect. / Wrong name or password.';
const UNREADABLE = 'Les comptes sont illisibles sur le serveur : voir son journal. / The accounts cannot be read on the server: see its log.';

/** The exact command that creates the first admin for this users file, as the README gives it. */
function firstAdminCommand(usersFile: string): string {
  const where = resolve(usersFile) === resolve(DEFAULT_USERS_FILE) ? '' : ` --users-file ${usersFile}`;
  return `node dist/cli/trebuchet.js user add <nom> --role admin${where}`;
}

export interface AuthOptions {
  usersFile: string;
  log: Logger;
  /** A demonstration says so before sign-in too. */
  demo?: boolean;
}

/**
 * Sign-in for the dashboards: the session cookie, the login routes, the admin's account routes, and a
 * check that refuses every other /api/ request without a valid session (401), whatever registered it.
 * Register it before any other route. The page and its assets stay public: the page shows the login form.
 */
export async function registerAuth(app: FastifyInstance, { usersFile, log, demo = false }: AuthOptions): Promise<void> {
  const users = new UsersFile(usersFile);
  await app.register(fastifyCookie, { secret: loadSessionSecret(sessionSecretPath(usersFile)) });
  await app.register(fastifyRateLimit, { global: false });
  app.decorateRequest('user', null);

  let reported: unknown;
  /** The accounts now, or undefined when the file is not valid (logged once per version of the file). */
  const currentUsers = (): readonly User[] | undefined => {
    try {
      return users.list();
    } catch (err) {
      if (err !== reported) log.error({ err: (err as Error).message }, 'the dashboards users file is not valid: nobody can sign in');
      reported = err;
      return undefined;
    }
  };

  const accounts = currentUsers();
  if (accounts?.length === 0) {
    log.warn(
      { usersFile, command: firstAdminCommand(usersFile) },
      `aucun compte : créez le premier administrateur avec « ${firstAdminCommand(usersFile)} » / no account yet: create the first admin with that command`,
    );
  }

  /** The account a session belongs to, if it has not expired and the account is unchanged since it was opened. */
  const accountOf = (session: Session): User | undefined => {
    const user = session.e > Date.now() ? currentUsers()?.find((u) => u.name === session.n) : undefined;
    return user && user.generation === session.g && user.role === session.r ? user : undefined;
  };

  // Answers still open (the live stream) with their session: one whose account is removed or given a new
  // password is cut within seconds, like every later request of that session.
  const open = new Map<ServerResponse, Session>();
  const sweep = setInterval(() => {
    for (const [res, session] of open) if (!accountOf(session)) res.destroy();
  }, OPEN_RESPONSES_CHECK_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', async (req, reply) => {
    // The matched route's pattern, not the raw URL: an encoded or odd spelling of a path cannot slip past.
    const path = req.routeOptions.url ?? req.url;
    if (!path.startsWith('/api/') || PUBLIC_ROUTES.has(path)) return;
    const session = readSession(req);
    const user = session && accountOf(session);
    if (!session || !user) return unauthorized(reply);
    if (sessionDueForRenewal(session)) openSession(reply, user);
    req.user = user;
    open.set(reply.raw, session);
    reply.raw.on('close', () => open.delete(reply.raw));
  });

  app.get('/api/v1/login-state', async () => {
    const list = currentUsers();
    // Only "nobody yet": with accounts it says nothing about them.
    const accounts = list?.length === 0 ? { accounts: false, firstAdminCommand: firstAdminCommand(usersFile) } : { accounts: true };
    return { ...accounts, ...(demo ? { demo: true } : {}) };
  });

  app.post(
    '/api/v1/login',
    {
      // Every attempt counts, the right ones too: a manager signs in a few times a day at most.
      config: {
        rateLimit: {
          max: LOGIN_ATTEMPTS_PER_MINUTE,
          timeWindow: 60_000,
          errorResponseBuilder: (_req, ctx) => ({
            statusCode: 429,
            error: 'Too Many Requests',
            message: `Trop de tentatives de connexion : réessayez dans ${ctx.after}. / Too many sign-in attempts: try again in ${ctx.after}.`,
          }),
        },
      },
    },
    async (req, reply) => {
      const body = parseBody(loginBody, req.body, reply);
      if (!body) return reply;
      const list = currentUsers();
      if (!list) return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: UNREADABLE });
      const user = list.find((u) => u.name === body.name);
      // An unknown name costs one scrypt too (verifyPassword's decoy), so timing does not tell which names exist.
      const ok = await verifyPassword(user ? passwordHashSchema.parse(user.hash) : undefined, body.password);
      if (!user || !ok) {
        req.log.info({ name: body.name }, 'dashboards sign-in refused');
        return unauthorized(reply, WRONG_LOGIN);
      }
      openSession(reply, user);
      req.log.info({ name: user.name, role: user.role }, 'dashboards sign-in');
      return { name: user.name, role: user.role };
    },
  );

  app.post('/api/v1/logout', async (_req, reply) => {
    closeSession(reply);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', async (req) => ({ name: req.user!.name, role: req.user!.role }));

  registerUsersRoutes(app, users);
}

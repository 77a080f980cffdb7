import { resolve } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../runtime/log.js';
import type { Accounts } from './accounts.js';
import { unauthorized } from './access.js';
import { passwordHashSchema, verifyPassword } from './password.js';
import { parseBody } from './request-body.js';
import { closeSession, openSession, readSession } from './session.js';
import { DEFAULT_USERS_FILE } from './users-file.js';

/** Sign-in attempts per minute and per address: enough for typos, far too few to guess a password. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

// Names are lower-case: a phone capitalising the first letter must not make a right password fail.
const loginBody = z.object({ name: z.string().trim().toLowerCase().min(1).max(64), password: z.string().min(1).max(1024) });

const WRONG_LOGIN = 'Nom ou mot de passe incorrect. / Wrong name or password.';
const UNREADABLE = 'Les comptes sont illisibles sur le serveur : voir son journal. / The accounts cannot be read on the server: see its log.';

/** The exact command that creates the first admin for this users file, as the README gives it. */
function firstAdminCommand(usersFile: string): string {
  const where = resolve(usersFile) === resolve(DEFAULT_USERS_FILE) ? '' : ` --users-file ${usersFile}`;
  return `node dist/cli/trebuchet.js user add <nom> --role admin${where}`;
}

export interface SignInOptions {
  accounts: Accounts;
  log: Logger;
  /** A demonstration says so before sign-in too. */
  demo: boolean;
}

/**
 * `login` and `login-state`: the only routes of the API an anonymous caller may use, signing in and
 * learning that no account exists yet. Registered in the public context.
 */
export async function signInRoutes(app: FastifyInstance, { accounts, log, demo }: SignInOptions): Promise<void> {
  const usersFile = accounts.file.path;
  // In this context only: the sign-in is the one route it limits.
  await app.register(fastifyRateLimit, { global: false });

  if (accounts.current()?.length === 0) {
    log.warn(
      { usersFile, command: firstAdminCommand(usersFile) },
      `aucun compte : créez le premier administrateur avec « ${firstAdminCommand(usersFile)} » / no account yet: create the first admin with that command`,
    );
  }

  app.get('/login-state', async () => {
    const list = accounts.current();
    // Only "nobody yet": with accounts it says nothing about them.
    const state = list?.length === 0 ? { accounts: false, firstAdminCommand: firstAdminCommand(usersFile) } : { accounts: true };
    return { ...state, ...(demo ? { demo: true } : {}) };
  });

  app.post(
    '/login',
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
      const list = accounts.current();
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
}

/** `me` and `logout`: the session's own routes, registered in the signed-in context. */
export async function sessionRoutes(app: FastifyInstance, { accounts }: { accounts: Accounts }): Promise<void> {
  app.post('/logout', async (req, reply) => {
    // The session check let the request in: its cookie holds a session.
    accounts.signOut(readSession(req)!);
    closeSession(reply);
    return reply.code(204).send();
  });

  app.get('/me', async (req) => ({ name: req.user!.name, role: req.user!.role }));
}

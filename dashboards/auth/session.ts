import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { writePrivateFile } from '../../runtime/credentials-file.js';
import { ROLES, userNameSchema, type User } from './users-file.js';

/**
 * A session is a cookie signed with the server's secret (@fastify/cookie) holding its id, who the user is,
 * the generation of the account it was opened for, and when it ends. The server keeps no session table,
 * only the ids of sessions signed out before their end (revoked-sessions.ts); an account whose password
 * changes or that is removed loses its sessions because the generation no longer matches the users file.
 */
export const SESSION_COOKIE = 'tb_session';

/**
 * Seven days, renewed as the page is used: a screen left on the dashboard in the shop (it reloads its
 * figures every minute) stays signed in for good, a laptop not opened for a week signs in again.
 */
export const TTL_MS = 7 * 24 * 3600_000;
/** A new cookie at most once an hour, not on every request of a page that polls. */
const RENEW_AFTER_MS = 3600_000;

/** 16 random bytes in base64url: the id a sign-out revokes, kept when the cookie is renewed. */
const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
const sessionSchema = z.object({ i: sessionIdSchema, n: userNameSchema, r: z.enum(ROLES), g: z.number().int().min(0), e: z.number().int() }).strict();
export type Session = z.infer<typeof sessionSchema>;

/** The secret's file sits beside the users file: the sessions survive a restart, and a new folder starts afresh. */
export function sessionSecretPath(usersFile: string): string {
  return join(dirname(usersFile), 'session-secret');
}

const secretSchema = z
  .string()
  .trim()
  .transform((s) => Buffer.from(s, 'base64'))
  .refine((b) => b.length === 32, 'must hold 32 bytes in base64');

/** The sessions signed out before their end, beside the secret. */
export function revokedSessionsPath(usersFile: string): string {
  return join(dirname(usersFile), 'revoked-sessions.json');
}

/** The signing secret, generated at first start (32 random bytes) and kept in a 0600 file. */
export function loadSessionSecret(path: string): Buffer {
  if (!existsSync(path)) {
    const secret = randomBytes(32);
    writePrivateFile(path, `${secret.toString('base64')}\n`);
    return secret;
  }
  const parsed = secretSchema.safeParse(readFileSync(path, 'utf8'));
  if (!parsed.success) throw new Error(`${path}: the session secret ${parsed.error.issues[0]?.message}; remove the file to generate a new one (everyone signs in again)`);
  return parsed.data;
}

/** Sets the session cookie: a new session, or with `id` the same one renewed. */
export function openSession(reply: FastifyReply, user: User, id = randomBytes(16).toString('base64url')): void {
  const session: Session = { i: id, n: user.name, r: user.role, g: user.generation, e: Date.now() + TTL_MS };
  void reply.setCookie(SESSION_COOKIE, Buffer.from(JSON.stringify(session)).toString('base64url'), {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    // Secure when the request came over HTTPS, directly or through a proxy listed in http.trustProxy (whose
    // X-Forwarded-Proto is believed, nobody else's); plain HTTP on loopback (`npm start`) must still work.
    secure: 'auto',
    maxAge: TTL_MS / 1000,
  });
}

export function closeSession(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** The session the request's cookie carries, if it is signed by this server and well formed (expired or not). */
export function readSession(req: FastifyRequest): Session | undefined {
  const raw = req.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const session = sessionSchema.safeParse(json);
  return session.success ? session.data : undefined;
}

/** Whether the session is old enough to be sent again with a new end (the sliding part of the expiry). */
export function sessionDueForRenewal(session: Session): boolean {
  return session.e - Date.now() < TTL_MS - RENEW_AFTER_MS;
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireRole } from './access.js';
import { newPasswordSchema } from './password.js';
import { parseBody } from './request-body.js';
import { ROLES, UserChangeError, UsersFileError, userNameSchema, type UsersFile } from './users-file.js';

const newUserBody = z.object({ name: userNameSchema, role: z.enum(ROLES), password: newPasswordSchema }).strict();

function conflict(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(409).send({ statusCode: 409, error: 'Conflict', message });
}

/** A change refused by the users file: an existing or unknown name, or a file that is not valid. */
function refused(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof UserChangeError) {
    return err.code === 'exists' ? conflict(reply, err.message) : reply.code(404).send({ statusCode: 404, error: 'Not Found', message: err.message });
  }
  if (err instanceof UsersFileError) {
    reply.log.error({ err: err.message }, 'the dashboards users file cannot be changed');
    return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'Les comptes sont illisibles sur le serveur. / The accounts cannot be read on the server.' });
  }
  throw err;
}

/** `users`: the admins' account management, list, create, remove. The same file as the `trebuchet user` command. */
export async function usersRoutes(app: FastifyInstance, { users }: { users: UsersFile }): Promise<void> {
  // A hook of this context, like the session check of its parent: every route here is the admin's.
  app.addHook('preHandler', requireRole('admin'));

  app.get('/users', async () => ({
    users: users.list().map(({ name, role, createdAt }) => ({ name, role, createdAt })),
  }));

  app.post('/users', async (req, reply) => {
    const body = parseBody(newUserBody, req.body, reply);
    if (!body) return reply;
    try {
      const { name, role, createdAt } = await users.add(body.name, body.role, body.password);
      req.log.info({ name, role, by: req.user!.name }, 'dashboards account created');
      return reply.code(201).send({ name, role, createdAt });
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.delete<{ Params: { name: string } }>('/users/:name', async (req, reply) => {
    const { name } = req.params;
    // This also keeps an admin: the caller is one, and stays. (The command line may remove anyone.)
    if (name === req.user!.name) return conflict(reply, 'Vous ne pouvez pas supprimer votre propre compte. / You cannot remove your own account.');
    try {
      users.remove(name);
      req.log.info({ name, by: req.user!.name }, 'dashboards account removed');
      return reply.code(204).send();
    } catch (err) {
      return refused(reply, err);
    }
  });
}

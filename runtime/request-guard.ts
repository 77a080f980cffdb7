import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface RequestGuardOptions {
  /**
   * The names, besides IP addresses and `localhost`, under which browsers reach the server (a DNS or mDNS
   * name such as `comptoir.local`). Undefined: any Host is taken (the Origin and JSON rules still apply).
   */
  allowedHosts?: readonly string[];
}

/** Methods a browser sends without asking first (no CORS preflight) when they carry a form's content type. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const STATE_CHANGING = new Set([...BODY_METHODS, 'DELETE']);

function refuse(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error, message });
}

/** The host name of a Host header (`name:port`, `[::1]:port`), lower-cased, without brackets or port. */
export function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Refuses what a web page of another site can make a browser send:
 * - a Host that is not ours (DNS rebinding: the attacker's name resolved to this server). An IP address is
 *   always taken, since a rebound page carries its own name: a page whose Host is an IP is that server's own;
 * - a state-changing request whose Origin is another site (a browser always sends Origin on those);
 * - a POST, PUT or PATCH that is not JSON: a cross-site form or a no-cors fetch can only send form or
 *   text types (or no body at all), whereas `application/json` needs a preflight this server never grants.
 */
export function guardRequests(app: FastifyInstance, options: RequestGuardOptions): void {
  const names = options.allowedHosts && new Set(['localhost', ...options.allowedHosts.map(hostName)]);
  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    if (names) {
      const name = hostName(host);
      if (!isIP(name) && !names.has(name)) {
        return refuse(
          reply,
          421,
          'Misdirected Request',
          `Nom d'hôte « ${name} » non autorisé : ajoutez-le à http.allowedHosts. / Host "${name}" is not allowed: add it to http.allowedHosts.`,
        );
      }
    }
    if (!STATE_CHANGING.has(req.method)) return;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) {
      return refuse(reply, 403, 'Forbidden', `Requête d'un autre site (${origin}) refusée. / Cross-site request from ${origin} refused.`);
    }
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (BODY_METHODS.has(req.method) && type !== 'application/json') {
      return refuse(reply, 415, 'Unsupported Media Type', 'Corps JSON requis (Content-Type: application/json). / A JSON body is required (Content-Type: application/json).');
    }
  });
}

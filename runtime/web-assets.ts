import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from './log.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Serves the built page from memory: the bundle is a handful of files, each gets an explicit route (no path
 * is ever joined from a request, so no traversal), hashed names are cached forever and index.html never.
 */
export async function registerWebAssets(app: FastifyInstance, dir: string, log: Logger, what: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    log.warn({ dir }, `${what} web page not built: run \`npm run build\`; the API is served without it`);
    app.get('/', async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`Interface web non construite : lancez « npm run build » (${dir}).`),
    );
    return;
  }
  for (const file of await listFiles(dir)) {
    const body = await readFile(file);
    const gzipped = gzipSync(body);
    const name = relative(dir, file).split(sep).join('/');
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    const cache = name === 'index.html' ? 'no-cache' : /-[A-Z0-9]{8}\.\w+(\.map)?$/.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      void reply.header('content-type', type).header('cache-control', cache).header('vary', 'accept-encoding');
      const accept = req.headers['accept-encoding'];
      if (typeof accept === 'string' && /\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(gzipped);
      return reply.send(body);
    };
    app.get(`/${name}`, handler);
    if (name === 'index.html') app.get('/', handler);
  }
}

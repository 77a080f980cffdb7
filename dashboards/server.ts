import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../runtime/log.js';
import { createHttpApp } from '../runtime/http-app.js';
import { createInflux } from '../runtime/influx-client.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { registerDailyWeighings } from './api/daily-weighings.js';
import { LiveHub, registerLiveStream } from './api/live-stream.js';
import { registerSite } from './api/site.js';
import type { DashboardsConfig } from './config.js';
import { projectRoot } from '../runtime/project-root.js';

export interface RunningDashboards {
  url: string;
  stop(): Promise<void>;
}

export const WEB_PUBLIC_DIR = join(projectRoot(), 'dist', 'dashboards', 'web', 'public');

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
async function registerWebAssets(app: FastifyInstance, dir: string, log: Logger): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    log.warn({ dir }, 'web UI not built: run `npm run build`; the API is served without it');
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

/**
 * Starts the dashboards: the read API over InfluxDB, the live SSE stream fed by MQTT and the web page.
 * The broker and InfluxDB may be down at start; MQTT reconnects by itself and queries fail with 503 until
 * InfluxDB answers.
 */
export async function startDashboards(
  config: DashboardsConfig,
  log: Logger,
): Promise<RunningDashboards> {
  const dlog = log.child({ component: 'dashboards' });
  // A dashboard query that hangs is worse than one that fails: the page retries on its next refresh.
  const influx = createInflux(config.influx, { requestTimeoutMs: 10_000 });
  const mqtt = connectMqtt(config.mqtt, 'dashboards', {
    clientId: `tb-dashboards-${config.site.id}-${randomBytes(4).toString('hex')}`,
    clean: true,
    resubscribe: false,
    reconnectPeriod: 2_000,
    connectTimeout: 10_000,
  });
  let mqttUp = false;
  let stopping: Promise<void> | undefined;
  mqtt.on('connect', () => {
    mqttUp = true;
    dlog.info({ url: config.mqtt.url }, 'connected to the MQTT broker');
  });
  mqtt.on('close', () => {
    if (mqttUp && !stopping) dlog.warn({ url: config.mqtt.url }, 'lost the MQTT broker; reconnecting');
    mqttUp = false;
  });
  mqtt.on('error', (err) => dlog.warn({ err: err.message, url: config.mqtt.url }, 'MQTT error'));

  const hub = new LiveHub(mqtt, dlog, { site: config.site.id });
  const app = createHttpApp(dlog);
  const deps = { influx, site: config.site };
  registerSite(app, deps);
  registerDailyWeighings(app, deps);
  registerLiveStream(app, hub);
  await registerWebAssets(app, WEB_PUBLIC_DIR, dlog);

  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    hub.close();
    await mqtt.endAsync(true);
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `http://${host}:${port}`;
  dlog.info({ url }, 'dashboards listening');

  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        // Streams first: app.close() waits for open responses, and an SSE response never ends by itself.
        hub.close();
        await app.close();
        await mqtt.endAsync(true);
      })()),
  };
}

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import type { Logger } from '../runtime/log.js';
import { createHttpApp } from '../runtime/http-app.js';
import { isLoopbackHost } from '../runtime/loopback.js';
import { registerWebAssets } from '../runtime/web-assets.js';
import { siteTaxonomy } from '../runtime/taxonomy-config.js';
import { checkInfluxQLFunctions } from '../storage/influxql-functions.js';
import { openStore } from '../storage/open-store.js';
import { connectMqtt } from '../runtime/mqtt-client.js';
import { reportsRoutes } from './api/reports-routes.js';
import { LiveHub, liveRoutes } from './api/live-stream.js';
import { siteRoutes } from './api/site.js';
import { Accounts } from './auth/accounts.js';
import { requireSession } from './auth/access.js';
import { sessionRoutes, signInRoutes } from './auth/auth-routes.js';
import { loadSessionSecret, sessionSecretPath } from './auth/session.js';
import { usersRoutes } from './auth/users-routes.js';
import { servedSites, type DashboardsConfig } from './config.js';
import { readCertificatePair, watchCertificatePair } from '../runtime/certificate-files.js';
import { projectRoot } from '../runtime/project-root.js';

export interface RunningDashboards {
  url: string;
  /** Every route served, so that a test can check each /api/ route refuses an anonymous caller, the ones added later too. */
  routes: readonly { method: string; url: string }[];
  stop(): Promise<void>;
}

export const WEB_PUBLIC_DIR = join(projectRoot(), 'dist', 'dashboards', 'web', 'public');
/** Where the API's routes are, public and signed-in alike; route files write their paths under it. */
const API_PREFIX = '/api/v1';

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
  // Before anything connects: a certificate that cannot be served stops the start with its reason.
  const certificateFiles = config.http.https && { ...config.http.https, configKey: 'http.https' };
  const certificate = certificateFiles && readCertificatePair(certificateFiles);
  const { trustProxy } = config.http;
  if (!certificate && !trustProxy && !isLoopbackHost(config.http.host)) {
    dlog.warn(
      { host: config.http.host },
      `HTTP en clair sur ${config.http.host} : les mots de passe et les cookies de session traversent le réseau lisiblement ; donnez http.https (certFile, keyFile) ou placez un reverse proxy HTTPS devant (http.trustProxy, deploy/reverse-proxy.md) / plain HTTP on ${config.http.host}: passwords and session cookies cross the network in clear; set http.https (certFile, keyFile) or put an HTTPS reverse proxy in front (http.trustProxy, deploy/reverse-proxy.md)`,
    );
  }
  // A dashboard query that hangs is worse than one that fails: the page retries on its next refresh.
  const influx = openStore(config.influx, { requestTimeoutMs: 10_000 });
  void checkInfluxQLFunctions(influx, dlog);
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

  const hub = new LiveHub(mqtt, dlog, { sites: servedSites(config).map((s) => s.id) });
  // No Host check: the dashboards are reached under names this config does not list (a domain, a proxy),
  // and a rebound page gets no session cookie; cross-site writes are still refused (request-guard.ts).
  const app = createHttpApp(dlog, {}, { ...(certificate ? { https: { cert: certificate.cert, key: certificate.key } } : {}), ...(trustProxy ? { trustProxy } : {}) });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  try {
    const accounts = new Accounts(config.usersFile, dlog);
    const deps = { influx, sites: servedSites(config), taxonomy: siteTaxonomy(config), networkName: config.networkName, demo: config.demo };
    // On the root, for both contexts below: signing in sets the session cookie, the signed-in context reads it.
    await app.register(fastifyCookie, { secret: loadSessionSecret(sessionSecretPath(config.usersFile)) });

    // Public: what works signed out. The page and its assets too, since the page shows the login form.
    await app.register(async (pub) => {
      await pub.register(signInRoutes, { prefix: API_PREFIX, accounts, log: dlog, demo: config.demo });
      await registerWebAssets(pub, WEB_PUBLIC_DIR, dlog, 'dashboards');
    });

    // Signed in: the session check is this context's hook, so it covers every route registered in it.
    await app.register(
      async (api) => {
        requireSession(api, accounts);
        await api.register(sessionRoutes, { accounts });
        await api.register(usersRoutes, { users: accounts.file });
        await api.register(siteRoutes, deps);
        await api.register(reportsRoutes, deps);
        await api.register(liveRoutes, { hub, sites: deps.sites });
      },
      { prefix: API_PREFIX },
    );
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    hub.close();
    await mqtt.endAsync(true);
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `${certificate ? 'https' : 'http'}://${host}:${port}`;
  dlog.info({ url, ...(trustProxy ? { trustProxy } : {}) }, 'dashboards listening');
  // New connections get a renewed certificate; open ones keep theirs.
  const stopWatching = certificateFiles
    ? watchCertificatePair(certificateFiles, ({ cert, key }) => (app.server as unknown as TlsServer).setSecureContext({ cert, key }), dlog)
    : () => {};

  return {
    url,
    routes,
    stop: () =>
      (stopping ??= (async () => {
        stopWatching();
        // Streams first: app.close() waits for open responses, and an SSE response never ends by itself.
        hub.close();
        await app.close();
        await mqtt.endAsync(true);
      })()),
  };
}

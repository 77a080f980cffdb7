import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../runtime/log.js';
import { mayPublish, maySubscribe } from './acl.js';
import type { BrokerConfig } from './config.js';
import { agentUsername } from '../protocol/index.js';
import { credentialsPaths, ensureUsers, verifyPassword, type BrokerUser } from './credentials.js';

export interface RunningBroker {
  /** The aedes instance, for metrics and for tests that wait on its events. */
  aedes: Aedes;
  port: number;
  url: string;
  credentialsFile: string;
  stop(): Promise<void>;
}

type AuthError = Error & { returnCode: number };
function authError(message: string, returnCode: number): AuthError {
  return Object.assign(new Error(message), { returnCode });
}
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** The embedded aedes broker: no anonymous client, one user per component, per-agent ACL. */
export async function startBroker(config: BrokerConfig, log: Logger): Promise<RunningBroker> {
  const users = ensureUsers(config.dataDir, [
    { username: 'ingest', role: 'ingest' },
    { username: 'dashboards', role: 'dashboards' },
    ...config.agents.map((a) => ({ username: agentUsername(a.site, a.agent), role: 'agent' as const, ...a })),
  ]);
  const userOf = new WeakMap<object, BrokerUser>();

  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const user = username ? users.get(username) : undefined;
      if (!user || !password || !verifyPassword(user, password)) {
        log.warn({ clientId: client.id, username: username ?? null }, 'MQTT connection refused: bad username or password');
        done(authError('bad username or password', BAD_USERNAME_OR_PASSWORD), null);
        return;
      }
      userOf.set(client, user);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      // Messages the broker publishes itself ($SYS, wills already authorised) have no client.
      if (!client) return callback(null);
      const user = userOf.get(client);
      if (user && mayPublish(user, packet.topic)) return callback(null);
      log.warn({ clientId: client.id, topic: packet.topic }, 'MQTT publish refused by ACL');
      callback(authError('publish not authorised', NOT_AUTHORIZED));
    },
    authorizeSubscribe(client, sub, callback) {
      const user = userOf.get(client);
      if (user && maySubscribe(user, sub.topic)) return callback(null, sub);
      log.warn({ clientId: client.id, topic: sub.topic }, 'MQTT subscription refused by ACL');
      // A null subscription answers with a failure code for that filter instead of closing the client.
      callback(null, null);
    },
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));

  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const credentialsFile = credentialsPaths(config.dataDir).credentials;
  log.info({ host: config.listen.host, port, credentialsFile }, 'MQTT broker listening');

  return {
    aedes,
    port,
    url: `mqtt://${config.listen.host}:${port}`,
    credentialsFile,
    async stop() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

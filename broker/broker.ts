import type { Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { writeToStream } from 'mqtt-packet';
import type { Logger } from '../runtime/log.js';
import { clientIdBelongsTo, CLIENT_ID_SEPARATOR } from '../runtime/mqtt-client-id.js';
import { mayPublish, mayRetain, maySubscribe } from './acl.js';
import type { BrokerConfig } from './config.js';
import { configuredUsers, credentialsPaths, ensureUsers, verifyPassword, type BrokerUser } from './credentials.js';
import { LoginBackoff } from './login-backoff.js';
import { openListeners } from './listeners.js';
import { boundOutgoingQueues, type OutgoingStore } from './offline-queues.js';
import { loadServerIdentity, type ServerIdentity } from './tls/server-identity.js';
import { serverTlsFiles } from './tls/paths.js';
import { UsersWatch } from './users-watch.js';

export interface RunningBroker {
  /** The aedes instance, for metrics and for tests that wait on its events. */
  aedes: Aedes;
  port: number;
  url: string;
  /** MQTT over TLS (`mqtts://…`) and MQTT over WebSocket on the HTTPS port (`wss://…/mqtt`), when configured. */
  tlsPort: number | undefined;
  httpsPort: number | undefined;
  /** The certificate served on them, for a renewal asked by hand (and the tests). */
  identity: ServerIdentity | undefined;
  /** The CA agents pin, when the broker is its own CA or the operator named one. */
  caFile: string | undefined;
  credentialsFile: string;
  stop(): Promise<void>;
}

type AuthError = Error & { returnCode: number };
function authError(message: string, returnCode: number): AuthError {
  return Object.assign(new Error(message), { returnCode });
}
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

const addressOf = (client: { conn: unknown }) => (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';

/** The embedded aedes broker: no anonymous client, one user per component, per-agent ACL, bounded memory. */
export async function startBroker(config: BrokerConfig, log: Logger): Promise<RunningBroker> {
  const initialUsers = ensureUsers(config.dataDir, configuredUsers(config));
  /** Each authenticated client's user, as it was when it logged in (its name, since the record has none). */
  const loginOf = new WeakMap<object, { username: string; user: BrokerUser }>();
  let aedesRef: Aedes | undefined;
  // A revoked agent, or one enrolled again (a new password), loses its live connection at once.
  const users = new UsersWatch(
    config.dataDir,
    initialUsers,
    (now) => {
      const clients = Object.values((aedesRef as unknown as { clients: Record<string, Client> } | undefined)?.clients ?? {});
      for (const client of clients) {
        const login = loginOf.get(client);
        if (!login) continue;
        const user = now.get(login.username);
        if (user && !user.revokedAt && user.hash === login.user.hash) continue;
        log.warn({ clientId: client.id, reason: !user ? 'removed' : user.revokedAt ? 'revoked' : 'password changed' }, 'MQTT connection closed: its user was revoked or changed');
        client.close();
      }
    },
    log,
  );
  const { limits } = config;
  const backoff = new LoginBackoff(config.loginBackoff);

  // aedes writes through mqtt-packet, whose default builds 65,536 two-byte Buffers (every packet id) at the first
  // write: 6.6 MiB of heap for a lookup that saves one 2-byte allocation per packet (as connectMqtt's writeCache).
  writeToStream.cacheNumbers = false;
  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const address = addressOf(client);
      const refuse = (message: string, returnCode: number, level: 'warn' | 'debug' = 'warn', extra: object = {}) => {
        log[level]({ clientId: client.id, username: username ?? null, address, ...extra }, `MQTT connection refused: ${message}`);
        done(authError(message, returnCode), null);
      };
      if (!username) return refuse('no username', BAD_USERNAME_OR_PASSWORD);
      // Bound to its user: with another's id, a client would disconnect that one (and fire its will).
      if (!clientIdBelongsTo(client.id, username)) {
        return refuse(`client id must be the username "${username}" or start with "${username}${CLIENT_ID_SEPARATOR}"`, IDENTIFIER_REJECTED);
      }
      const waitMs = backoff.refusedForMs(address, username);
      // Debug: a guesser in backoff would otherwise write a line per attempt; its first one was logged.
      if (waitMs > 0) return refuse('too many failed logins, password not checked', NOT_AUTHORIZED, 'debug', { retryInMs: waitMs });
      const user = users.get(username);
      // Refused before any hashing: a revoked Pi retrying every second must cost nothing.
      if (user?.revokedAt) return refuse(`agent revoked on ${user.revokedAt}`, NOT_AUTHORIZED);
      verifyPassword(user, password ?? '').then(
        (ok) => {
          if (!ok || !user) {
            const delay = backoff.failed(address, username);
            if (delay) log.warn({ username, address, delayMs: delay }, 'MQTT logins from this address or for this user refused for a while: repeated failures');
            return refuse('bad username or password', BAD_USERNAME_OR_PASSWORD);
          }
          backoff.succeeded(address, username);
          loginOf.set(client, { username, user });
          done(null, true);
        },
        (err: Error) => refuse(`password check failed (${err.message})`, SERVER_UNAVAILABLE, 'warn'),
      );
    },
    authorizePublish(client, packet, callback) {
      // Messages the broker publishes itself ($SYS, wills already authorised) have no client.
      if (!client) return callback(null);
      const refuse = (why: string, extra: object = {}) => {
        log.warn({ clientId: client.id, topic: packet.topic, ...extra }, `MQTT publish refused: ${why}`);
        callback(authError(why, NOT_AUTHORIZED));
      };
      const user = loginOf.get(client)?.user;
      if (!user || !mayPublish(user, packet.topic)) return refuse('not allowed by the ACL');
      // A refusal here closes the client (MQTT 3.1.1 has no negative PUBACK), and a client resends its
      // unacknowledged QoS 1 publish on reconnect: refusing one for what it carries would cut an agent again
      // and again. So payloads are not refused here: the packet limit (limitPacketSize) already bounds them,
      // and ingest dead-letters one beyond the contract's maximum, which stops the agent's resends.
      // Only the kinds the contract retains are kept: that bounds what an agent keeps on the broker.
      if (packet.retain && !mayRetain(packet.topic)) {
        log.warn({ clientId: client.id, topic: packet.topic }, 'MQTT retain flag dropped: this kind is never retained');
        packet.retain = false;
      }
      callback(null);
    },
    authorizeSubscribe(client, sub, callback) {
      if (sub.topic.startsWith('$share/')) {
        // aedes grants a shared subscription and then delivers nothing to it: refused, so that the client hears
        // it in its SUBACK instead of waiting for ever. Several ingest instances need Mosquitto or EMQX.
        log.error({ clientId: client.id, topic: sub.topic }, 'shared subscriptions are not delivered by the embedded broker: run several ingest instances on Mosquitto or EMQX (`trebuchet broker mosquitto-config`)');
        return callback(null, null);
      }
      const user = loginOf.get(client)?.user;
      if (user && maySubscribe(user, sub.topic)) return callback(null, sub);
      log.warn({ clientId: client.id, topic: sub.topic }, 'MQTT subscription refused by ACL');
      // A null subscription answers with a failure code for that filter instead of closing the client.
      callback(null, null);
    },
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));
  // aedes creates its persistence in createBroker and never bounds it; no client is connected yet.
  boundOutgoingQueues((aedes as unknown as { persistence: OutgoingStore }).persistence, limits.offlineQueue, (clientId, queued) =>
    log.warn({ clientId, ...queued, limits: limits.offlineQueue }, 'MQTT session queue full: new messages for this client are dropped until it acknowledges some'),
  );

  aedesRef = aedes;

  const identity = config.tls || config.https ? await loadServerIdentity(config, log) : undefined;
  const listeners = await openListeners(config, aedes, identity, log).catch(async (err: Error) => {
    identity?.close();
    users.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  });
  const credentialsFile = credentialsPaths(config.dataDir).credentials;
  const caFile = identity?.caPem ? serverTlsFiles(config).caFile : undefined;
  log.info({ credentialsFile, caFile, caSha256: identity?.caSha256 }, 'MQTT broker ready');

  return {
    aedes,
    port: listeners.port,
    url: `mqtt://${config.listen.host}:${listeners.port}`,
    tlsPort: listeners.tlsPort,
    httpsPort: listeners.httpsPort,
    identity,
    caFile,
    credentialsFile,
    async stop() {
      users.close();
      identity?.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await listeners.close();
    },
  };
}

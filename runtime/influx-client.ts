import { InfluxDB } from 'influx';
import { readInfluxCredentials, type InfluxCredentials } from './credentials-file.js';
import type { InfluxConnection } from './connections.js';

const HOW_TO_AUTHENTICATE =
  'donnez influx.username et TREBUCHET_INFLUX_PASSWORD, ou influx.credentialsFile / give influx.username and TREBUCHET_INFLUX_PASSWORD, or influx.credentialsFile';

/**
 * The InfluxDB user of a connection, or none for an InfluxDB without authentication. What the config says
 * (its password, then its credentials file) comes before the environment: `trebuchet up` hands its managed
 * InfluxDB's generated file this way, and a TREBUCHET_INFLUX_PASSWORD meant for another InfluxDB must not
 * override it. Secrets stay out of YAML files that get copied around.
 */
export function resolveInfluxAuth(conn: InfluxConnection): InfluxCredentials | undefined {
  const file = conn.password ? undefined : conn.credentialsFile;
  const fromFile = file ? readInfluxCredentials(file) : undefined;
  if (file && !fromFile) throw new Error(`pas de fichier ${file} / no InfluxDB credentials file ${file}: ${HOW_TO_AUTHENTICATE}`);
  const username = conn.username ?? fromFile?.username ?? process.env.TREBUCHET_INFLUX_USERNAME;
  const password = conn.password ?? fromFile?.password ?? process.env.TREBUCHET_INFLUX_PASSWORD;
  if (!username && !password) return undefined;
  if (!username || !password) {
    throw new Error(`utilisateur ou mot de passe InfluxDB manquant / InfluxDB ${username ? `password of user "${username}"` : 'username'} missing: ${HOW_TO_AUTHENTICATE}`);
  }
  return { username, password };
}

/** A node-influx client from a connection URL, authenticated as resolveInfluxAuth says. */
export function createInflux(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}): InfluxDB {
  const url = new URL(conn.url);
  const auth = resolveInfluxAuth(conn);
  return new InfluxDB({
    hosts: [
      {
        host: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
        protocol: url.protocol === 'https:' ? 'https' : 'http',
        path: url.pathname.replace(/\/$/, ''),
      },
    ],
    database: conn.database,
    username: auth?.username,
    password: auth?.password,
    ...(options.requestTimeoutMs ? { pool: { requestTimeout: options.requestTimeoutMs, maxRetries: 1 } } : {}),
  });
}

/** The HTTP status of a node-influx RequestError (it is not exported), if the error is one. */
function httpStatus(err: unknown): number | undefined {
  return (err as { res?: { statusCode?: number } }).res?.statusCode;
}

/**
 * Fails at start, with the fix, when InfluxDB refuses our user (401/403): otherwise every write would be
 * retried for ever against a password that will never work. An InfluxDB not answering yet is not an error
 * here: ingest and the dashboards wait for it.
 */
export async function checkInfluxAccess(conn: InfluxConnection): Promise<void> {
  const influx = createInflux(conn, { requestTimeoutMs: 5_000 });
  try {
    await influx.getDatabaseNames();
  } catch (err) {
    const status = httpStatus(err);
    if (status !== 401 && status !== 403) return;
    const user = resolveInfluxAuth(conn)?.username;
    throw new Error(
      `InfluxDB ${conn.url} refuse ${user ? `l'utilisateur "${user}" (mot de passe faux ?)` : 'les requêtes sans utilisateur'} / refuses ${user ? `user "${user}" (wrong password?)` : 'requests without a user'} (${status}): ${HOW_TO_AUTHENTICATE}`,
    );
  }
}

import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readCredentials } from './credentials-file.js';
import type { MqttConnection } from './connections.js';
import { boundClientId } from './mqtt-client-id.js';

/** What connecting needs of a connection's config (the plaintext check was made when the config was read). */
type MqttEndpoint = Omit<MqttConnection, 'allowPlaintext'>;

/**
 * The password of an MQTT user, from (first found) the environment, the config, or the credentials
 * file the broker generated. Secrets stay out of YAML files that get copied around.
 */
export function resolveMqttAuth(conn: MqttEndpoint, defaultUsername: string): { username: string; password: string } {
  const username = process.env.TREBUCHET_MQTT_USERNAME ?? conn.username ?? defaultUsername;
  const fromEnv = process.env.TREBUCHET_MQTT_PASSWORD;
  if (fromEnv) return { username, password: fromEnv };
  if (conn.password) return { username, password: conn.password };
  if (conn.credentialsFile) {
    const entry = readCredentials(conn.credentialsFile)?.mqtt[username];
    if (entry) return { username, password: entry.password };
    throw new Error(`no MQTT password for user "${username}" in ${conn.credentialsFile}; start the broker once to generate it, or set TREBUCHET_MQTT_PASSWORD`);
  }
  throw new Error(`no MQTT password for user "${username}": set mqtt.password, mqtt.credentialsFile or TREBUCHET_MQTT_PASSWORD`);
}

/**
 * Connects with automatic reconnection; the caller listens for `connect` to (re)subscribe. The client id is
 * bound to the user, as the broker requires: `options.clientId`, if any, becomes its suffix.
 */
export function connectMqtt(conn: MqttEndpoint, defaultUsername: string, options: IClientOptions = {}): MqttClient {
  const auth = resolveMqttAuth(conn, defaultUsername);
  // Pinned: with a CA file, that CA alone is trusted (not the system's), and the broker's name is checked.
  const tls = conn.caFile ? { ca: readFileSync(conn.caFile, 'utf8'), rejectUnauthorized: true } : {};
  return mqtt.connect(conn.url, {
    ...auth,
    ...tls,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // MQTT.js's default builds 65,536 two-byte Buffers (every packet id) at the first write: 6.6 MiB of heap in
    // every process for a lookup that saves one 2-byte allocation per packet (npm run bench -- agent-resources).
    writeCache: false,
    ...options,
    clientId: boundClientId(auth.username, options.clientId),
  });
}

import { PACKET_HEADROOM_BYTES } from '../packet-size.js';
import type { BrokerConfig } from '../config.js';
import type { ServerTlsFiles } from '../tls/paths.js';

/**
 * A mosquitto.conf serving the same listeners as the embedded broker, with its users (`passwd`), its ACL and
 * its limits. Only what Mosquitto needs from us: the rest (pid file, persistence, logs) stays with the
 * system's own mosquitto.conf, which includes this one from conf.d.
 */
export function mosquittoConf(config: BrokerConfig, files: { passwd: string; acl: string }, tls: ServerTlsFiles, extraGlobal: string[] = []): string {
  const { limits } = config;
  // Listener settings: Mosquitto applies each to the listener above it, and opens a default one on 1883 for
  // any found before the first `listener`. Ids bound to users: Mosquitto replaces a client's id with its
  // username, so no user can take over another's session (a second connection of one user replaces the first).
  const perListener = [`max_connections ${limits.maxConnections}`, 'use_username_as_clientid true'];
  const tlsFiles = [...(tls.caFile ? [`cafile ${tls.caFile}`] : []), `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`, 'tls_version tlsv1.2'];
  const listeners = [
    ['# Plain MQTT, for the components on this machine.', `listener ${config.listen.port} ${config.listen.host}`, ...perListener],
    ...(config.tls ? [['# MQTT over TLS, for the agents.', `listener ${config.tls.port} ${config.tls.host}`, ...tlsFiles, ...perListener]] : []),
    ...(config.https
      ? [['# MQTT over WebSocket and TLS (wss://host:port/mqtt), for shops that only let 443 out.', `listener ${config.https.port} ${config.https.host}`, 'protocol websockets', ...tlsFiles, ...perListener]]
      : []),
  ];
  return [
    '# Written by `trebuchet broker mosquitto-config` from the broker config: edit that, and run the command again.',
    // One set of users and one ACL for every listener.
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${files.passwd}`,
    `acl_file ${files.acl}`,
    `message_size_limit ${limits.maxPayloadBytes}`,
    `max_packet_size ${limits.maxPayloadBytes + PACKET_HEADROOM_BYTES}`,
    `max_queued_messages ${limits.offlineQueue.messages}`,
    `max_queued_bytes ${limits.offlineQueue.bytes}`,
    ...extraGlobal,
    '',
    listeners.map((l) => l.join('\n')).join('\n\n'),
    '',
  ].join('\n');
}

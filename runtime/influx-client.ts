import { InfluxDB } from 'influx';
import type { InfluxConnection } from './connections.js';

/** A node-influx client from a connection URL; the password may come from TREBUCHET_INFLUX_PASSWORD. */
export function createInflux(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}): InfluxDB {
  const url = new URL(conn.url);
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
    username: conn.username,
    password: process.env.TREBUCHET_INFLUX_PASSWORD ?? conn.password,
    ...(options.requestTimeoutMs ? { pool: { requestTimeout: options.requestTimeoutMs, maxRetries: 1 } } : {}),
  });
}

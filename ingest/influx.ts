import { InfluxDB } from 'influx';
import type { InfluxConnection } from '../runtime/connections.js';

/** A node-influx client from a connection URL; the password may come from TREBUCHET_INFLUX_PASSWORD. */
export function createInflux(conn: InfluxConnection): InfluxDB {
  const url = new URL(conn.url);
  return new InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: conn.database,
    username: conn.username,
    password: process.env.TREBUCHET_INFLUX_PASSWORD ?? conn.password,
  });
}

import { InfluxDB } from '@influxdata/influxdb-client';
import type { InfluxConnection } from '../../runtime/connections.js';
import { readInfluxToken } from './influx-token.js';

/** The @influxdata/influxdb-client of a 2.x or 3.x connection: its URL, its token, the request timeout. */
export function clientFor(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}): InfluxDB {
  return new InfluxDB({ url: conn.url, token: readInfluxToken(conn), timeout: options.requestTimeoutMs ?? 30_000 });
}

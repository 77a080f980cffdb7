import type { InfluxConnection } from '../runtime/connections.js';
import { Influx1Store } from './backends/influxdb-1.js';
import { Influx2Store } from './backends/influxdb-2.js';
import { Influx3Store } from './backends/influxdb-3.js';
import type { InfluxStore } from './store.js';

/** The store of a connection's `influx.version`. */
export function openStore(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}): InfluxStore {
  switch (conn.version) {
    case 1:
      return new Influx1Store(conn, options);
    case 2:
      return new Influx2Store(conn, options);
    case 3:
      return new Influx3Store(conn, options);
  }
}

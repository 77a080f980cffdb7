import { influxConnectionSchema } from '../../runtime/connections.js';
import { Influx1Store } from '../../storage/backends/influxdb-1.js';

/** The 1.x store of a test's own influxd, as ingest and the dashboards open it. */
export function testStore(url: string, database = 'trebuchet'): Influx1Store {
  return new Influx1Store(influxConnectionSchema.parse({ url, database }));
}

import type { InfluxDB } from '@influxdata/influxdb-client';
import type { IPoint } from 'influx';
import type { InfluxConnection } from '../../runtime/connections.js';
import { ROLLUP_RETENTION_POLICY } from '../rollups.js';
import type { InfluxStore, PointTarget, QueryOptions } from '../store.js';
import { clientFor } from './client.js';
import { writeThroughClient } from './client-writer.js';
import { refuseBadToken } from './http-status.js';
import { queryOverHttp } from './influxql-http.js';

/**
 * InfluxDB 3 Core, Enterprise and Cloud Dedicated/Serverless: writes through the v2-compatible write API
 * (the bucket is the database; org is ignored), InfluxQL through `/query`. 3.x folds a 1.x database and
 * retention policy into one database named `database/rp`: the rollups, which InfluxQL reads as
 * `"rollups"."…"`, are written to `database/rollups`. Databases are created by their first write.
 */
export class Influx3Store implements InfluxStore {
  readonly describe: string;
  readonly database: string;
  private readonly client: InfluxDB;

  constructor(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}) {
    this.client = clientFor(conn, options);
    this.database = conn.database;
    this.describe = `InfluxDB 3.x at ${conn.url}, database ${conn.database}`;
  }

  write(points: readonly IPoint[], target: PointTarget): Promise<void> {
    const database = target === 'rollups' ? `${this.database}/${ROLLUP_RETENTION_POLICY}` : this.database;
    return writeThroughClient(this.client, 'trebuchet', database, points);
  }

  queryRaw(influxql: string, options?: QueryOptions): Promise<unknown> {
    return queryOverHttp(this.client, this.database, influxql, options);
  }

  async prepare(): Promise<void> {
    // Nothing to create: the first write of each database creates it.
  }

  checkAccess(): Promise<void> {
    return refuseBadToken(this.describe, () => this.queryRaw('SHOW MEASUREMENTS LIMIT 1'));
  }
}

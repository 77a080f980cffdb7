import { FieldType, type InfluxDB, type IPoint } from 'influx';
import { checkInfluxAccess, createInflux } from '../../runtime/influx-client.js';
import type { InfluxConnection } from '../../runtime/connections.js';
import { rollupRetentionPolicyStatements, ROLLUP_MEASUREMENTS, ROLLUP_RETENTION_POLICY } from '../rollups.js';
import { runInfluxQL } from '../run-influxql.js';
import type { InfluxStore, PointTarget, QueryOptions } from '../store.js';

/**
 * InfluxDB 1.x through node-influx, as before the other backends. Rollups go to their retention policy
 * (`rollups`, kept forever). node-influx writes every number as a float unless a schema says otherwise:
 * the rollups' counts are integers, as `SELECT … INTO` made them, so that the rollups of an install that
 * predates this path take our points without a field type conflict.
 */
export class Influx1Store implements InfluxStore {
  readonly describe: string;
  readonly database: string;
  private readonly influx: InfluxDB;

  constructor(private readonly conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}) {
    this.influx = createInflux(conn, options);
    this.database = conn.database;
    this.describe = `InfluxDB 1.x at ${conn.url}, database ${conn.database}`;
    for (const { measurement, tags, fieldTypes } of ROLLUP_MEASUREMENTS) {
      this.influx.addSchema({
        database: conn.database,
        measurement,
        tags: ['site', ...tags],
        fields: Object.fromEntries(Object.entries(fieldTypes).map(([f, t]) => [f, t === 'integer' ? FieldType.INTEGER : FieldType.FLOAT])),
      });
    }
  }

  async write(points: readonly IPoint[], target: PointTarget): Promise<void> {
    await this.influx.writePoints([...points], { precision: 'n', ...(target === 'rollups' ? { retentionPolicy: ROLLUP_RETENTION_POLICY } : {}) });
  }

  queryRaw(influxql: string, options: QueryOptions = {}): Promise<unknown> {
    return this.influx.queryRaw(influxql, { ...(options.epoch ? { precision: options.epoch } : {}), ...(options.method ? { method: options.method } : {}) } as object);
  }

  async prepare(): Promise<void> {
    await this.influx.createDatabase(this.database);
    const rp = rollupRetentionPolicyStatements(this.database);
    try {
      await runInfluxQL(this, [rp.create]);
    } catch (err) {
      // It exists with other settings (an earlier version's weekly shards): long shard groups from now on.
      if (!/retention policy already exists/.test((err as Error).message)) throw err;
      await runInfluxQL(this, [rp.alter]);
    }
  }

  checkAccess(): Promise<void> {
    return checkInfluxAccess(this.conn);
  }
}

import { FieldType, type InfluxDB, type IPoint } from 'influx';
import { checkInfluxAccess, createInflux } from '../../runtime/influx-client.js';
import type { InfluxConnection } from '../../runtime/connections.js';
import { rollupRetentionPolicyStatements, ROLLUP_MEASUREMENTS, ROLLUP_RETENTION_POLICY } from '../rollups.js';
import { runInfluxQL } from '../run-influxql.js';
import type { InfluxStore, PointTarget, QueryOptions } from '../store.js';

/** node-influx's own per-request timeout when none is given (its pool's default). */
const NODE_INFLUX_TIMEOUT_MS = 30_000;

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
  private readonly deadlineMs: number;

  constructor(private readonly conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}) {
    this.influx = createInflux(conn, options);
    this.deadlineMs = options.requestTimeoutMs ?? NODE_INFLUX_TIMEOUT_MS;
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

  write(points: readonly IPoint[], target: PointTarget): Promise<void> {
    return this.settled('write', () =>
      this.influx.writePoints([...points], { precision: 'n', ...(target === 'rollups' ? { retentionPolicy: ROLLUP_RETENTION_POLICY } : {}) }),
    );
  }

  queryRaw(influxql: string, options: QueryOptions = {}): Promise<unknown> {
    return this.settled('query', (signal) =>
      this.influx.queryRaw(influxql, {
        signal,
        ...(options.epoch ? { precision: options.epoch } : {}),
        ...(options.method ? { method: options.method } : {}),
      } as object),
    );
  }

  /**
   * A node-influx request given up when it has not settled within its own timeout. node-influx's pool
   * (pool.js, `stream`) shares one `once` between the response, error and timeout handlers: a 5xx from an
   * influxd going down takes it and waits for the body's end, and when the connection is then cut that end
   * never comes, while the error and the timeout that follow are swallowed. The promise would never settle,
   * and the batch writer behind it would wait for ever (the influx-outage chaos scenario lost its points
   * this way). A query also gets an abort signal, so its socket is released; a write takes none there.
   */
  private settled<T>(what: 'write' | 'query', run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`InfluxDB ${this.conn.url}: pas de réponse en ${this.deadlineMs / 1000} s / no answer to a ${what} within ${this.deadlineMs / 1000} s`));
      }, this.deadlineMs);
    });
    return Promise.race([run(abort.signal), deadline]).finally(() => clearTimeout(timer));
  }

  async prepare(): Promise<void> {
    await this.settled('query', () => this.influx.createDatabase(this.database));
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

import type { IPoint } from 'influx';

/** Where a point goes: the raw measurements, or the rollups kept forever beside them (storage/rollups.ts). */
export type PointTarget = 'raw' | 'rollups';

export interface QueryOptions {
  /** POST for statements that change things, or are too long for a URL. */
  method?: 'GET' | 'POST';
  /** Times as epoch milliseconds instead of RFC 3339. */
  epoch?: 'ms';
}

/**
 * One InfluxDB, whatever its version: points written through its own write API, InfluxQL read through
 * the `/query` endpoint that 1.x, 2.x (with a DBRP mapping) and 3.x all answer, so that the dashboards'
 * queries and the rollups' sums are one. Retries are not the store's: ingest owns them (its receipt follows
 * InfluxDB's acknowledgement), so a failed write rejects at once.
 */
export interface InfluxStore {
  /** "InfluxDB 2.x at https://…, bucket …": for logs and errors. */
  readonly describe: string;
  /** The InfluxQL database name of the raw data: the default of every query. */
  readonly database: string;
  /** Writes and resolves once InfluxDB acknowledged every point (nanosecond timestamps as strings). */
  write(points: readonly IPoint[], target: PointTarget): Promise<void>;
  /** The raw JSON answer of InfluxQL statements separated by `;` (results in order). */
  queryRaw(influxql: string, options?: QueryOptions): Promise<unknown>;
  /** Makes the database ready for our writes and reads (idempotent): creates or checks what the backend needs. */
  prepare(): Promise<void>;
  /** Fails with the fix when InfluxDB refuses our credentials; an InfluxDB not answering yet is not an error. */
  checkAccess(): Promise<void>;
}

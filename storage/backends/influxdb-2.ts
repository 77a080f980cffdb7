import type { InfluxDB } from '@influxdata/influxdb-client';
import type { IPoint } from 'influx';
import { z } from 'zod';
import type { InfluxConnection } from '../../runtime/connections.js';
import { ROLLUP_RETENTION_POLICY } from '../rollups.js';
import type { InfluxStore, PointTarget, QueryOptions } from '../store.js';
import { clientFor } from './client.js';
import { writeThroughClient } from './client-writer.js';
import { refuseBadToken } from './http-status.js';
import { queryOverHttp } from './influxql-http.js';

const bucketsSchema = z.object({ buckets: z.array(z.object({ id: z.string(), name: z.string() })) });
const dbrpsSchema = z.object({ content: z.array(z.object({ id: z.string(), bucketID: z.string(), retention_policy: z.string() })).default([]) });

/**
 * InfluxDB 2.x and Cloud: writes to `bucket` (rollups to `rollupBucket`, by default the same one; their
 * measurements have their own names), InfluxQL through `/query`, which finds buckets by database and
 * retention policy: the DBRP mappings `database`/autogen → bucket and `database`/rollups → rollupBucket,
 * created at start or checked against the buckets configured. 2.x has no `SELECT … INTO`, which is why
 * ingest writes the rollups itself (storage/rollup-sync.ts).
 */
export class Influx2Store implements InfluxStore {
  readonly describe: string;
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly org: string;
  private readonly buckets: Record<PointTarget, string>;

  constructor(conn: InfluxConnection, options: { requestTimeoutMs?: number } = {}) {
    this.client = clientFor(conn, options);
    this.database = conn.database;
    this.org = conn.org!;
    this.buckets = { raw: conn.bucket!, rollups: conn.rollupBucket ?? conn.bucket! };
    this.describe = `InfluxDB 2.x at ${conn.url}, org ${this.org}, bucket ${this.buckets.raw}`;
  }

  write(points: readonly IPoint[], target: PointTarget): Promise<void> {
    return writeThroughClient(this.client, this.org, this.buckets[target], points);
  }

  queryRaw(influxql: string, options?: QueryOptions): Promise<unknown> {
    return queryOverHttp(this.client, this.database, influxql, options);
  }

  private get(path: string, params: Record<string, string>): Promise<unknown> {
    return this.client.transport.request(`${path}?${new URLSearchParams(params)}`, null, { method: 'GET' });
  }

  private async bucketId(name: string): Promise<string> {
    const found = bucketsSchema.parse(await this.get('/api/v2/buckets', { org: this.org, name })).buckets.find((b) => b.name === name);
    if (!found) throw new Error(`pas de bucket ${name} / no bucket ${name} in org ${this.org}: create it (influx bucket create -n ${name} -o ${this.org}) or fix influx.bucket`);
    return found.id;
  }

  async prepare(): Promise<void> {
    const mappings: [string, PointTarget][] = [
      ['autogen', 'raw'],
      [ROLLUP_RETENTION_POLICY, 'rollups'],
    ];
    for (const [rp, target] of mappings) {
      const bucketID = await this.bucketId(this.buckets[target]);
      const existing = dbrpsSchema.parse(await this.get('/api/v2/dbrps', { org: this.org, db: this.database, rp })).content;
      if (existing.length === 0) {
        await this.client.transport.request(
          '/api/v2/dbrps',
          { org: this.org, bucketID, database: this.database, retention_policy: rp, default: rp === 'autogen' },
          { method: 'POST', headers: { 'content-type': 'application/json' } },
        );
      } else if (existing[0]!.bucketID !== bucketID) {
        throw new Error(
          `la correspondance DBRP ${this.database}/${rp} vise un autre bucket / the DBRP mapping ${this.database}/${rp} points at bucket ${existing[0]!.bucketID}, not ${this.buckets[target]} (${bucketID}): fix it with influx v1 dbrp update, or set influx.database to another name`,
        );
      }
    }
  }

  checkAccess(): Promise<void> {
    return refuseBadToken(this.describe, () => this.get('/api/v2/buckets', { org: this.org, limit: '1' }));
  }
}

import type { InfluxDB } from '@influxdata/influxdb-client';
import type { QueryOptions } from '../store.js';

/**
 * InfluxQL through the v1-compatible `/query` endpoint of InfluxDB 2.x, Cloud and 3.x, over the client's
 * transport (its token, timeout and TLS settings). Long statements go in a POST body, as 1.x takes them.
 */
export function queryOverHttp(client: InfluxDB, database: string, influxql: string, options: QueryOptions = {}): Promise<unknown> {
  const params = new URLSearchParams({ db: database, ...(options.epoch ? { epoch: options.epoch } : {}) });
  const post = options.method === 'POST' || influxql.length > 4_000;
  if (!post) params.set('q', influxql);
  const body = post ? new URLSearchParams({ q: influxql }).toString() : '';
  return client.transport.request(`/query?${params}`, post ? body : null, {
    method: post ? 'POST' : 'GET',
    headers: { accept: 'application/json', ...(post ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
  });
}

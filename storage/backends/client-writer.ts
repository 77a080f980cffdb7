import { InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { IPoint } from 'influx';
import { clientPoint } from './client-points.js';

// The client logs each failed write to the console; ingest's batch writer logs it once, with its retry.
setLogger({ error: () => {}, warn: () => {} });

/** Bodies above this many bytes are gzipped: a batch of weighings shrinks about tenfold. */
const GZIP_THRESHOLD_BYTES = 1_000;

/**
 * Writes through @influxdata/influxdb-client's v2 write API (2.x, Cloud, 3.x), one request per call. The
 * client's own batching and retry buffer are off (maxRetries 0, a batch as large as the call): a write
 * that fails rejects at once and ingest keeps the points, retries with its backoff and holds the receipts,
 * so nothing is acknowledged that InfluxDB has not.
 */
export async function writeThroughClient(client: InfluxDB, org: string, bucket: string, points: readonly IPoint[]): Promise<void> {
  if (points.length === 0) return;
  const api = client.getWriteApi(org, bucket, 'ns', {
    batchSize: points.length + 1,
    flushInterval: 0,
    maxRetries: 0,
    maxBufferLines: points.length,
    gzipThreshold: GZIP_THRESHOLD_BYTES,
  });
  api.writePoints(points.map(clientPoint));
  await api.close();
}

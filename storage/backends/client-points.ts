import { Point } from '@influxdata/influxdb-client';
import type { IPoint } from 'influx';
import { integerFieldsOf } from '../rollups.js';

/**
 * Our points (node-influx's shape, which every writer of ours builds) as the client's: the same line
 * protocol node-influx sends to 1.x, field for field. A number is a float, as node-influx writes it without
 * a schema, except the rollups' counts, which are integers (storage/rollups.ts rollupFieldTypes).
 * tests/integration/v2-write.test.ts checks both writers send the same points.
 */
export function clientPoint(p: IPoint): Point {
  const point = new Point(p.measurement);
  for (const [k, v] of Object.entries(p.tags ?? {})) if (v !== '') point.tag(k, v);
  const integers = integerFieldsOf(p.measurement ?? '');
  for (const [k, v] of Object.entries(p.fields ?? {})) {
    if (typeof v === 'string') point.stringField(k, v);
    else if (typeof v === 'boolean') point.booleanField(k, v);
    else if (integers.has(k)) point.intField(k, v);
    else point.floatField(k, v);
  }
  if (p.timestamp !== undefined) point.timestamp(String(p.timestamp));
  return point;
}

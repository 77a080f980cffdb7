import { visitsPoint } from '../../storage/points.js';
import type { StoredKindHandler } from './handler.js';

export const visits: StoredKindHandler<'visits'> = {
  // A bucket is aligned on the clock, so the first one after installation starts before it.
  captured: (v) => ({ at: v.bucketStart, spanMs: v.bucketSeconds * 1000 }),
  point: (origin, v) => visitsPoint(origin, v),
};

import { weighingPoint } from '../../storage/points.js';
import type { StoredKindHandler } from './handler.js';

export const weighing: StoredKindHandler<'weighing'> = {
  captured: (w) => ({ at: w.capturedAt }),
  point: (origin, w) => weighingPoint(origin, w),
};

import { bonPoint } from '../../storage/points.js';
import type { StoredKindHandler } from './handler.js';

export const bon: StoredKindHandler<'bon'> = {
  captured: (b) => ({ at: b.capturedAt }),
  // A bon is the counter's, not a device's: its point has no device tag.
  point: ({ site, agent }, b) => bonPoint({ site, agent }, b),
};

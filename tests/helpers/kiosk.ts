import type { KioskScale } from '../../edge-agent/kiosk/kiosk-types.js';

/**
 * A scale ready for the next load: nothing waiting on it, and a stable zero already read. A scale that has
 * not sent a reading yet also shows the `idle` step, but it has not armed: a load put on then is not taken.
 */
export function readyAtZero(s: KioskScale | undefined): boolean {
  return s?.step === 'idle' && s.live.state === 'stable' && s.live.kg === 0;
}

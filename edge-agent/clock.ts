import { execFile } from 'node:child_process';
import type { Logger } from '../runtime/log.js';

/** Wall-clock time and whether it can be trusted (a Pi has no RTC: it boots with a stale date until NTP syncs). */
export interface Clock {
  now(): number;
  synced(): boolean;
}

export type ClockMode = 'auto' | 'assume-synced';

const RECHECK_MS = 60_000;

/**
 * `auto` asks systemd-timesyncd (timedatectl) whether NTP has synchronised the clock, again every minute;
 * without timedatectl it falls back to a sanity check of the year. `assume-synced` trusts the clock.
 */
export function systemClock(mode: ClockMode, log: Logger): Clock & { stop(): void } {
  let synced = mode === 'assume-synced' || new Date().getUTCFullYear() >= 2025;
  let timer: NodeJS.Timeout | undefined;
  const check = () =>
    execFile('timedatectl', ['show', '--property=NTPSynchronized', '--value'], { timeout: 5000 }, (err, stdout) => {
      if (err) {
        // No systemd (containers, some distributions): the year check is all we have.
        if (timer) clearInterval(timer);
        timer = undefined;
        return;
      }
      const now = stdout.trim() === 'yes';
      if (now !== synced) log.info({ synced: now }, 'clock synchronisation changed');
      synced = now;
    });
  if (mode === 'auto') {
    check();
    timer = setInterval(check, RECHECK_MS);
    timer.unref();
  }
  return {
    now: () => Date.now(),
    synced: () => synced,
    stop: () => timer && clearInterval(timer),
  };
}

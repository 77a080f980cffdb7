import type { ScaleState } from '../../protocol/index.js';

export interface LiveValue {
  kg: number | null;
  state: ScaleState;
}

/**
 * Passes live values on at most `maxHz`, and only when they change. The last change inside a quiet
 * period is sent when the period ends, so a display never stays on a stale weight.
 */
export class LiveThrottle {
  private last: LiveValue | undefined;
  private pending: LiveValue | undefined;
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly periodMs: number;

  constructor(
    maxHz: number,
    private readonly send: (value: LiveValue) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.periodMs = 1000 / maxHz;
  }

  push(value: LiveValue): void {
    const ref = this.pending ?? this.last;
    if (ref && ref.kg === value.kg && ref.state === value.state) return;
    const wait = this.lastSentAt + this.periodMs - this.now();
    if (wait <= 0 && !this.timer) return this.emit(value);
    this.pending = value;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (p) this.emit(p);
    }, Math.max(0, wait));
  }

  private emit(value: LiveValue): void {
    this.last = value;
    this.lastSentAt = this.now();
    this.send(value);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

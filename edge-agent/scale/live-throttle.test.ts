import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveThrottle, type LiveValue } from './live-throttle.js';

describe('live throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends at most maxHz, only changes, and always ends on the latest value', () => {
    const sent: LiveValue[] = [];
    const t = new LiveThrottle(5, (v) => sent.push(v), () => Date.now());
    // 50 distinct readings at 50 Hz over one second.
    for (let i = 0; i < 50; i++) {
      t.push({ kg: i, state: 'moving' });
      vi.advanceTimersByTime(20);
    }
    vi.advanceTimersByTime(500);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.at(-1)).toEqual({ kg: 49, state: 'moving' });
    t.stop();
  });

  it('sends nothing while the value does not change', () => {
    const sent: LiveValue[] = [];
    const t = new LiveThrottle(5, (v) => sent.push(v), () => Date.now());
    for (let i = 0; i < 20; i++) {
      t.push({ kg: 1.5, state: 'stable' });
      vi.advanceTimersByTime(100);
    }
    expect(sent).toEqual([{ kg: 1.5, state: 'stable' }]);
    t.push({ kg: 1.5, state: 'moving' });
    expect(sent).toHaveLength(2);
    t.stop();
  });
});

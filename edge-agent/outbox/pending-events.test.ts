import { describe, expect, it } from 'vitest';
import { PendingEvents } from './pending-events.js';

const ev = (id: string, acceptedAt = 0) => ({ id, topic: 't', payload: id, acceptedAt });

describe('pending events', () => {
  it('keeps an event until its receipt, resending with doubling backoff up to the ceiling', () => {
    let now = 0;
    const p = new PendingEvents({ receiptTimeoutMs: 1000, maxBackoffMs: 3000 }, () => now);
    p.add(ev('a'));
    p.add(ev('b'));
    expect(p.takeDue().map((e) => e.id)).toEqual(['a', 'b']);
    expect(p.takeDue()).toEqual([]);
    now = 1000;
    expect(p.takeDue().map((e) => e.id)).toEqual(['a', 'b']);
    now = 2999;
    expect(p.takeDue()).toEqual([]); // second wait is 2000 ms
    now = 3000;
    expect(p.ack(['a', 'zzz'])).toBe(1);
    expect(p.takeDue().map((e) => e.id)).toEqual(['b']);
    now = 5999;
    expect(p.takeDue()).toEqual([]); // capped at 3000 ms
    now = 6000;
    expect(p.takeDue().map((e) => e.id)).toEqual(['b']);
    expect(p.depth).toBe(1);
  });

  it('makes everything due again after a reconnection and reports the oldest age', () => {
    let now = 100;
    const p = new PendingEvents({ receiptTimeoutMs: 1000, maxBackoffMs: 60_000 }, () => now);
    expect(p.oldestAgeMs()).toBeNull();
    p.add(ev('a', 40));
    p.takeDue();
    p.resetSchedule();
    expect(p.takeDue().map((e) => e.id)).toEqual(['a']);
    now = 1040;
    expect(p.oldestAgeMs()).toBe(1000);
  });
});

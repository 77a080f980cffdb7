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

  it('sends a backlog a window at a time: first sends wait for receipts, resends of the window do not', () => {
    let now = 0;
    const p = new PendingEvents({ receiptTimeoutMs: 1000, maxBackoffMs: 60_000, maxInFlight: 3 }, () => now);
    for (const id of ['a', 'b', 'c', 'd', 'e']) p.add(ev(id));
    expect(p.takeDue().map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(p.windowFull).toBe(true);
    expect(p.takeDue()).toEqual([]);
    // A receipt for b makes room for one: d goes, e waits.
    p.ack(['b']);
    expect(p.windowFull).toBe(false);
    expect(p.takeDue().map((e) => e.id)).toEqual(['d']);
    // With no receipt for a, c and d in time, they are sent again; e still waits for room.
    now = 1000;
    expect(p.takeDue().map((e) => e.id)).toEqual(['a', 'c', 'd']);
    p.ack(['a', 'c', 'd']);
    expect(p.takeDue().map((e) => e.id)).toEqual(['e']);
    p.ack(['e']);
    expect(p.depth).toBe(0);
    expect(p.windowFull).toBe(false);
  });

  it('counts a held event (not ready) and an event added again out of the window', () => {
    const p = new PendingEvents({ receiptTimeoutMs: 1000, maxBackoffMs: 60_000, maxInFlight: 2 }, () => 0);
    p.add(ev('held'));
    p.add(ev('a'));
    p.add(ev('b'));
    expect(p.takeDue((e) => e.id !== 'held').map((e) => e.id)).toEqual(['a', 'b']);
    // Added again (a restart's outbox reread), a sent event leaves the window until sent anew.
    p.add(ev('a'));
    expect(p.windowFull).toBe(false);
    expect(p.takeDue().map((e) => e.id)).toEqual(['held']);
    expect(p.windowFull).toBe(true);
  });
});

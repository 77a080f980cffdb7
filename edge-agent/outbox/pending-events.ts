/**
 * Events waiting for their receipt from ingest, in capture order. An event leaves only on its receipt;
 * until then it is resent after a timeout that doubles up to a ceiling, so a lost message, a broker
 * restart or an ingest outage delays an event but never drops it while the agent runs.
 * This queue lives in memory: surviving an agent crash needs the fsync'd outbox (issue #4).
 */
export interface OutboxEvent {
  id: string;
  topic: string;
  payload: string;
  /** Wall-clock time the event was accepted, for the oldest-age figure in health. */
  acceptedAt: number;
}

interface Entry {
  event: OutboxEvent;
  attempts: number;
  nextSendAt: number;
}

export interface ResendPolicy {
  receiptTimeoutMs: number;
  maxBackoffMs: number;
  /**
   * Events sent and not yet receipted, at most: a backlog goes out a window at a time, the next events as
   * receipts come back. Sent all at once, a day's backlog sat in MQTT.js's store, the broker's queue (which
   * Mosquitto caps and drops from) and ingest's buffer together, and what ingest had not stored within the
   * receipt timeout was sent a second time while it was still at work.
   */
  maxInFlight?: number;
}

const isDue = (entry: Entry, now: number) => entry.nextSendAt <= now;

export class PendingEvents {
  private readonly entries = new Map<string, Entry>();
  /** Entries sent at least once (in the window until their receipt). */
  private sent = 0;

  constructor(
    private readonly policy: ResendPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: OutboxEvent): void {
    if ((this.entries.get(event.id)?.attempts ?? 0) > 0) this.sent--;
    this.entries.set(event.id, { event, attempts: 0, nextSendAt: 0 });
  }

  /** Forgets the events a receipt names; returns how many were pending. */
  ack(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id);
      if (entry.attempts > 0) this.sent--;
      n++;
    }
    return n;
  }

  get(id: string): OutboxEvent | undefined {
    return this.entries.get(id)?.event;
  }

  /**
   * Events to (re)send now, oldest first; each is scheduled for its next attempt. Events not `ready` wait,
   * unscheduled. Resends are always due; first sends only while the window has room.
   */
  takeDue(ready: (event: OutboxEvent) => boolean = () => true): OutboxEvent[] {
    const now = this.now();
    const due: OutboxEvent[] = [];
    let room = (this.policy.maxInFlight ?? Infinity) - this.sent;
    const sentBefore = this.sent;
    let sentSeen = 0;
    for (const entry of this.entries.values()) {
      if (entry.attempts > 0) sentSeen++;
      else if (room <= 0) {
        // The window is full and every sent event has been looked at: the rest wait for receipts.
        if (sentSeen >= sentBefore) break;
        continue;
      }
      if (!isDue(entry, now) || !ready(entry.event)) continue;
      if (entry.attempts === 0) {
        room--;
        this.sent++;
      }
      entry.attempts++;
      entry.nextSendAt = now + Math.min(this.policy.maxBackoffMs, this.policy.receiptTimeoutMs * 2 ** (entry.attempts - 1));
      due.push(entry.event);
    }
    return due;
  }

  /** Whether the window is full: a receipt then lets more go. */
  get windowFull(): boolean {
    return this.sent >= (this.policy.maxInFlight ?? Infinity);
  }

  /** Whether at least `n` events are due now (ready or not). */
  hasDue(n: number): boolean {
    const now = this.now();
    let due = 0;
    for (const entry of this.entries.values()) if (isDue(entry, now) && ++due >= n) return true;
    return false;
  }

  /** After a reconnection everything unacknowledged is due again at once. */
  resetSchedule(): void {
    for (const entry of this.entries.values()) entry.nextSendAt = 0;
  }

  get depth(): number {
    return this.entries.size;
  }

  oldestAgeMs(): number | null {
    const first = this.entries.values().next();
    return first.done ? null : this.now() - first.value.event.acceptedAt;
  }
}

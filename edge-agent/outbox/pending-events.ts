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
}

const isDue = (entry: Entry, now: number) => entry.nextSendAt <= now;

export class PendingEvents {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: ResendPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: OutboxEvent): void {
    this.entries.set(event.id, { event, attempts: 0, nextSendAt: 0 });
  }

  /** Forgets the events a receipt names; returns how many were pending. */
  ack(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) if (this.entries.delete(id)) n++;
    return n;
  }

  get(id: string): OutboxEvent | undefined {
    return this.entries.get(id)?.event;
  }

  /** Events to (re)send now, oldest first; each is scheduled for its next attempt. Events not `ready` wait, unscheduled. */
  takeDue(ready: (event: OutboxEvent) => boolean = () => true): OutboxEvent[] {
    const now = this.now();
    const due: OutboxEvent[] = [];
    for (const entry of this.entries.values()) {
      if (!isDue(entry, now) || !ready(entry.event)) continue;
      entry.attempts++;
      entry.nextSendAt = now + Math.min(this.policy.maxBackoffMs, this.policy.receiptTimeoutMs * 2 ** (entry.attempts - 1));
      due.push(entry.event);
    }
    return due;
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

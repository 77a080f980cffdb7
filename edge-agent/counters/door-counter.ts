import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { DeviceState } from '../../protocol/index.js';
import type { Clock } from '../clock.js';
import type { CounterDriver, CounterReading } from '../drivers/counter.js';
import type { FrameError, LinkState } from '../drivers/scale.js';
import { CounterDeltas, counterDeltaOptionsSchema, type CounterBaseline, type DeltaResult } from './counter-deltas.js';
import { CounterStateStore } from './counter-state-store.js';
import { VisitsBuckets, type VisitsBucket } from './visits-buckets.js';

/** The `visits:` block of a counter device: bucketing and the delta rule (see counter-deltas.ts). */
export const visitsConfigSchema = z
  .object({
    ...counterDeltaOptionsSchema.shape,
    /** Bucket length; it divides a day so that buckets fall on the same minutes every day. */
    bucketSeconds: z
      .number()
      .int()
      .positive()
      .max(86_400)
      .refine((s) => 86_400 % s === 0, { message: 'must divide 86400 (a day), e.g. 60, 300, 900 or 3600' })
      .default(60),
  })
  .strict();

export type VisitsConfig = z.infer<typeof visitsConfigSchema>;
export type VisitsConfigInput = z.input<typeof visitsConfigSchema>;

export interface DoorCounterOptions {
  /** The device id (a slug): the state file is `<stateDir>/<deviceId>.json`. */
  deviceId: string;
  stateDir: string;
  visits?: VisitsConfigInput;
  /** Wall clock the buckets are aligned on (default Date.now). */
  clock?: Pick<Clock, 'now'>;
  /** Least time between two state saves while counts change (default 1000 ms); a bucket closing and stop() save at once. */
  persistIntervalMs?: number;
  /** Period of the timer that closes due buckets and saves pending state (default 1000 ms; 0: only when tick() is called). */
  tickMs?: number;
  /** Consecutive errors (frame errors, impossible readings) from which the device is degraded (default 3). */
  degradedAfterErrors?: number;
  /** With the link open, no good reading for this long makes the device degraded (default off: many counters send only on change). */
  staleAfterMs?: number;
  /**
   * Stores a closed bucket durably (the agent's outbox). The state file keeps the bucket, with the raw
   * values it was counted from, until this resolves: a crash in between delivers it again after the
   * restart (same start and counts: it overwrites itself downstream), and never counts it twice.
   */
  deliver?: (bucket: VisitsBucket) => Promise<void>;
}

export interface CounterNotice {
  level: 'info' | 'warn';
  message: string;
}

export interface DoorCounterEvents {
  /**
   * A closed, non-empty bucket. Without `deliver`, a listener must store it durably before returning (the
   * agent's outbox): the state file records the close only after the emission, so a crash in between
   * re-emits the bucket with the same start (idempotent downstream) rather than losing it. With `deliver`,
   * it comes again after a restart that found it undelivered.
   */
  visits: [bucket: VisitsBucket];
  /** Health, whenever its state or detail changes; the `health` getter has it all at any time. */
  state: [state: DeviceState];
  /** Something worth a log line: a counter reset or wrap, a state file set aside or not saved. */
  notice: [notice: CounterNotice];
}

/** After a restart, how long the resumed bucket waits for a first reading before it may close without it. */
const RESUME_WAIT_MS = 30_000;
const MAX_DETAIL = 500;

/**
 * One door counter on the agent: raw cumulative readings from its driver → deltas → wall-clock buckets,
 * with the last raw values and the open bucket persisted so that a restart never counts twice (the
 * delta from the persisted raw values to the first new reading goes into the persisted open bucket).
 */
export class DoorCounter extends EventEmitter<DoorCounterEvents> {
  private readonly config: VisitsConfig;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly store: CounterStateStore;
  private readonly persistIntervalMs: number;
  private readonly tickMs: number;
  private readonly degradedAfterErrors: number;
  private readonly staleAfterMs: number | undefined;
  private deltas!: CounterDeltas;
  private buckets!: VisitsBuckets;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private lastSaveAt = -Infinity;
  /** Until the first reading after start (or RESUME_WAIT_MS), a resumed bucket stays open to receive it. */
  private resumeUntil: number | undefined;
  private link: LinkState | 'stopped' = 'stopped';
  private linkDetail: string | undefined;
  private linkOpenedAt: number | undefined;
  private lastReadingAt: number | undefined;
  private consecutiveErrors = 0;
  private totalErrors = 0;
  private lastError: string | undefined;
  private reported: { state: DeviceState['state']; detail: string | undefined } | undefined;
  private readonly deliver: ((bucket: VisitsBucket) => Promise<void>) | undefined;
  /**
   * Closed buckets not yet delivered, oldest first, saved with the state. They are counted from the saved
   * raw values like the open bucket: saving the close only after the delivery, as this did before, let a
   * crash between two buckets' deliveries and that save count the second one's passages again into the
   * first (the agent-sigkill-tls chaos scenario stored more visitors than walked in).
   */
  private undelivered: VisitsBucket[] = [];
  /** The delivery loop, while it runs; one at a time, so buckets reach the outbox in order. */
  private delivering: Promise<void> | undefined;
  private deliveryFailing = false;

  private readonly onCounts = (reading: CounterReading): void => this.counts(reading);
  private readonly onFrameError = (error: FrameError): void => this.error(`${error.reason}: ${error.raw}`);
  private readonly onLink = (state: LinkState, detail?: string): void => this.linkChanged(state, detail);

  constructor(
    private readonly driver: CounterDriver,
    options: DoorCounterOptions,
  ) {
    super();
    this.config = visitsConfigSchema.parse(options.visits ?? {});
    this.clock = options.clock ?? { now: () => Date.now() };
    this.store = new CounterStateStore(options.stateDir, options.deviceId);
    this.persistIntervalMs = options.persistIntervalMs ?? 1000;
    this.tickMs = options.tickMs ?? 1000;
    this.degradedAfterErrors = options.degradedAfterErrors ?? 3;
    this.staleAfterMs = options.staleAfterMs;
    this.deliver = options.deliver;
  }

  /** Errors since start (frame errors, impossible readings), for the agent's health message. */
  get errors(): number {
    return this.totalErrors;
  }

  /** Path of the state file. */
  get statePath(): string {
    return this.store.path;
  }

  /** The bucket being filled (not emitted yet), for live views. */
  get openBucket(): VisitsBucket | null {
    return this.buckets?.openBucket ?? null;
  }

  get health(): DeviceState {
    const { state, detail } = this.assess();
    return {
      state,
      lastReadingAt: this.lastReadingAt === undefined ? null : new Date(this.lastReadingAt).toISOString(),
      consecutiveErrors: this.consecutiveErrors,
      ...(detail ? { detail } : {}),
    };
  }

  /** Loads the state file (a bad one is set aside and reported), then starts the driver. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { state, problem } = this.store.load();
    if (problem) this.notice('warn', problem);
    const { wrapWindow, maxDeltaPerReading } = this.config;
    this.deltas = new CounterDeltas({ wrapWindow, maxDeltaPerReading }, state?.last ?? undefined);
    this.buckets = new VisitsBuckets(this.config.bucketSeconds, this.clock, state ? { open: state.open, closedUntil: state.closedUntil } : undefined);
    this.resumeUntil = state?.open ? this.clock.now() + RESUME_WAIT_MS : undefined;
    this.undelivered = state?.closed ?? [];
    this.dirty = false;
    this.driver.on('counts', this.onCounts);
    this.driver.on('frameError', this.onFrameError);
    this.driver.on('link', this.onLink);
    if (this.tickMs > 0) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    // Until the driver says otherwise (it usually reports `connecting` from start()).
    this.link = 'connecting';
    this.linkDetail = undefined;
    this.driver.start();
    this.updateHealth();
    if (this.undelivered.length) {
      for (const bucket of this.undelivered) this.emit('visits', bucket);
      this.deliverPending();
    }
  }

  /** Closes a bucket that is due, saves the state at once, and stops the driver. The open bucket is kept for the next start. */
  async stop(): Promise<void> {
    if (!this.running) return;
    clearInterval(this.timer);
    this.timer = undefined;
    // Detached before saving: nothing may change the counts after the last save.
    this.driver.off('counts', this.onCounts);
    this.driver.off('frameError', this.onFrameError);
    this.driver.off('link', this.onLink);
    this.tick();
    await this.delivering;
    this.save(this.clock.now());
    this.running = false;
    await this.driver.stop();
    this.link = 'stopped';
    this.linkDetail = undefined;
    this.updateHealth();
  }

  /** Closes the open bucket if its period is over, saves pending state when the throttle allows, updates health. */
  tick(): void {
    if (!this.running) return;
    const now = this.clock.now();
    if (this.resumeUntil !== undefined && now >= this.resumeUntil) this.resumeUntil = undefined;
    if (this.resumeUntil === undefined) this.closed(this.buckets.closeDue(now), now);
    if (this.deliveryFailing) this.deliverPending(); // retried once a tick
    this.maybeSave(now);
    this.updateHealth();
  }

  private counts(reading: CounterReading): void {
    const now = this.clock.now();
    const previous = this.deltas.baseline;
    const result = this.deltas.next(reading);
    if (result.kind === 'invalid') {
      this.error(result.reason);
      return;
    }
    this.lastReadingAt = now;
    this.consecutiveErrors = 0;
    this.lastError = undefined;
    this.explain(result, previous, reading);
    let closed: VisitsBucket[] = [];
    if (this.resumeUntil === undefined) {
      closed = this.buckets.add(result.in, result.out);
    } else if (result.kind !== 'held') {
      // The first counted reading after a restart fills the resumed bucket; a held one counts nothing yet.
      this.resumeUntil = undefined;
      closed = this.buckets.addToOpen(result.in, result.out);
    }
    const after = this.deltas.baseline;
    const rawChanged = previous?.in !== after?.in || previous?.out !== after?.out || previous?.modulo !== after?.modulo;
    if (rawChanged || result.in + result.out > 0) this.dirty = true;
    this.closed(closed, now);
    this.maybeSave(now);
    this.updateHealth();
  }

  /**
   * Closed buckets: without `deliver`, emitted then saved. With it, saved as undelivered first, then
   * delivered: the file never records a close without the bucket or its delivery.
   */
  private closed(buckets: VisitsBucket[], now: number): void {
    if (buckets.length === 0) return;
    if (!this.deliver) {
      for (const bucket of buckets) this.emit('visits', bucket);
      return this.save(now);
    }
    this.undelivered.push(...buckets);
    this.save(now);
    for (const bucket of buckets) this.emit('visits', bucket);
    this.deliverPending();
  }

  /** Delivers the undelivered buckets in order; one failing stops the loop until the next tick. */
  private deliverPending(): void {
    const deliver = this.deliver;
    if (!deliver || this.delivering) return;
    this.delivering = (async () => {
      while (this.undelivered.length) {
        const bucket = this.undelivered[0]!;
        try {
          await deliver(bucket);
        } catch (err) {
          // Kept (and saved) as undelivered: retried at the next tick, and after a restart.
          if (!this.deliveryFailing) this.notice('warn', `a visits bucket could not be stored, will retry: ${(err as Error).message}`);
          this.deliveryFailing = true;
          return;
        }
        if (this.deliveryFailing) this.notice('info', 'visits buckets stored again');
        this.deliveryFailing = false;
        this.undelivered.shift();
        // Saved with the next throttled save: a crash before it only delivers this bucket again, unchanged.
        this.dirty = true;
      }
    })().finally(() => (this.delivering = undefined));
  }

  private maybeSave(now: number): void {
    // Either way: a clock stepped back must not hold saves off until it catches up.
    if (this.dirty && Math.abs(now - this.lastSaveAt) >= this.persistIntervalMs) this.save(now);
  }

  private save(now: number): void {
    this.lastSaveAt = now;
    const { open, closedUntil } = this.buckets.snapshot();
    try {
      this.store.save({ last: this.deltas.baseline ?? null, open, closed: [...this.undelivered], closedUntil }, now);
      this.dirty = false;
    } catch (err) {
      // Still dirty: retried at the next tick. Counts are safe meanwhile as long as the agent runs.
      this.notice('warn', `cannot save ${this.store.path}: ${(err as Error).message}`);
    }
  }

  private explain(result: Exclude<DeltaResult, { kind: 'invalid' }>, previous: CounterBaseline | undefined, reading: CounterReading): void {
    if (result.kind === 'baseline') {
      this.notice('info', `baseline in=${reading.in} out=${reading.out} (${result.reason})`);
      return;
    }
    if (result.kind === 'held') {
      this.notice('warn', result.reason);
      return;
    }
    if (result.held === 'ignored') this.notice('warn', `a reading that looked like a reset was not repeated: ignored as a glitch`);
    for (const channel of ['in', 'out'] as const) {
      const kind = channel === 'in' ? result.inKind : result.outKind;
      if (kind === 'count') continue;
      const what = `${channel} counter ${previous?.[channel]} → ${reading[channel]}`;
      if (kind === 'wrap') this.notice('info', `${what}: wrapped (modulo ${reading.modulo}), counted ${result[channel]}`);
      else this.notice('warn', `${what}: reset (power cut?) confirmed, counted ${result[channel]} (readings above ${this.config.maxDeltaPerReading} count 0)`);
    }
  }

  private error(reason: string): void {
    this.consecutiveErrors += 1;
    this.totalErrors += 1;
    this.lastError = reason;
    this.updateHealth();
  }

  private linkChanged(state: LinkState, detail: string | undefined): void {
    this.link = state;
    this.linkDetail = detail;
    if (state === 'open') this.linkOpenedAt = this.clock.now();
    this.updateHealth();
  }

  private assess(): { state: DeviceState['state']; detail: string | undefined } {
    const clip = (s: string): string => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s);
    switch (this.link) {
      case 'stopped':
        return { state: 'offline', detail: 'stopped' };
      case 'connecting':
        return { state: 'offline', detail: clip(`connecting to ${this.linkDetail ?? 'the device'}`) };
      case 'closed':
        return { state: 'offline', detail: clip(this.linkDetail ?? 'link closed') };
    }
    if (this.consecutiveErrors >= this.degradedAfterErrors) {
      return { state: 'degraded', detail: clip(`${this.consecutiveErrors} errors in a row, last: ${this.lastError ?? '?'}`) };
    }
    const since = this.lastReadingAt ?? this.linkOpenedAt;
    if (this.staleAfterMs !== undefined && since !== undefined && this.clock.now() - since >= this.staleAfterMs) {
      return { state: 'degraded', detail: `no count reading for ${Math.round((this.clock.now() - since) / 1000)} s` };
    }
    return { state: 'ok', detail: undefined };
  }

  private updateHealth(): void {
    const now = this.assess();
    // A stale detail counts seconds: compare its kind, not its text, or it would be re-emitted every tick.
    const key = (d: string | undefined): string | undefined => d?.replace(/\d+ s$/, '');
    if (this.reported && this.reported.state === now.state && key(this.reported.detail) === key(now.detail)) return;
    this.reported = now;
    this.emit('state', this.health);
  }

  private notice(level: CounterNotice['level'], message: string): void {
    this.emit('notice', { level, message });
  }
}

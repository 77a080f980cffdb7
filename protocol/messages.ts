import { z } from 'zod';
import { eventId, slug } from './ids.js';

/** Every message carries the contract version so that a future v2 can be told apart at ingest. */
const v = z.literal(1);
const isoTime = z.iso.datetime({ offset: true });
/**
 * The hard ceiling of every mass in the contract, whatever the device: 100 t, the largest weighbridge a
 * ressourcerie could have (road vehicles stop at 44 t in France; agents already refuse a scale `maxKg`
 * above 100 000). It keeps every figure exact and every sum finite: InfluxDB silently drops a rollup row
 * whose sum overflowed, so a 1e308 kg weighing would wipe its whole day. Each scale's own maximum is the
 * agent's (its device config): ingest does not know it.
 */
export const MAX_KG = 100_000;
/** A bon is one drop-off or one outgoing load: far fewer lines than this, each a weighing under MAX_KG. */
export const MAX_BON_LINES = 1000;
/**
 * Passages through a door in one bucket: a busy ressourcerie sees hundreds a day. Not a rate: the bucket
 * resumed after an outage takes every passage counted meanwhile, and must not be refused for it.
 */
export const MAX_PASSAGES = 100_000;
/** zod numbers are finite and `int()` safe integers: nothing that InfluxDB could not store exactly. */
const seq = z.number().int().nonnegative();
const beyond = { message: `beyond the ${MAX_KG} kg that any scale weighs` };
const kg = z.number().min(-MAX_KG, beyond).max(MAX_KG, beyond);
/** A person's name or initials as typed at the counter: audit only, never a tag. */
const operator = z.string().trim().min(1).max(64);
const bonId = z.string().min(1).max(64);

/**
 * Where a capture sits on the Pi's monotonic clock, recorded when its wall clock was not synchronised
 * (no RTC, no network yet): once it is, the agent repairs the time from it before sending.
 */
const clockRef = z
  .object({
    /** The kernel's boot id: monotonic times compare only within one boot. */
    boot: z.string().min(1).max(64),
    /** Milliseconds on the monotonic clock (CLOCK_MONOTONIC, shared by every process of the boot). */
    monoMs: z.number().nonnegative(),
  })
  .strict();

/**
 * One stable weighing. `capturedAt` and `id` make the stored point's timestamp (storage/points.ts), so a
 * resent event overwrites itself; `id` also travels as a field for receipts and audits, `seq` for audits.
 */
export const weighingSchema = z
  .object({
    v,
    id: eventId,
    seq,
    capturedAt: isoTime,
    clockSynced: z.boolean(),
    clockRef: clockRef.optional(),
    /** capturedAt was repaired from clockRef after the clock synchronised. */
    clockRepaired: z.boolean().optional(),
    netKg: kg,
    grossKg: kg.optional(),
    /** Negative only on a void entry, which cancels every figure of what it voids. */
    tareKg: kg.optional(),
    direction: z.enum(['in', 'out']),
    category: slug,
    collectType: slug.optional(),
    destination: slug.optional(),
    bonId: bonId.optional(),
    /** The donor's district (provenance), from the bon (direction in). */
    district: slug.optional(),
    /** The recycling partner (filière), from the bon (direction out). */
    partner: slug.optional(),
    /** The container picked at the counter, whose tare is in `tareKg`. */
    container: slug.optional(),
    source: z.enum(['auto', 'manual']),
    entry: z.enum(['normal', 'void']).default('normal'),
    /** A void entry names the entry it cancels: same capture time and tags, the opposite weight. */
    voids: eventId.optional(),
    /** When the line was cancelled (a void entry keeps the capture time of what it cancels). */
    voidedAt: isoTime.optional(),
    /** Who recorded (or cancelled) it at the counter. */
    by: operator.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.direction === 'in' && w.partner) ctx.addIssue({ code: 'custom', path: ['partner'], message: 'only an outgoing weighing has a partner' });
    if (w.direction === 'out' && w.district) ctx.addIssue({ code: 'custom', path: ['district'], message: 'only an incoming weighing has a district' });
    if (w.entry === 'void' && (!w.voids || !w.voidedAt)) {
      ctx.addIssue({ code: 'custom', path: ['voids'], message: 'a void entry names the entry it cancels (voids) and when (voidedAt)' });
    }
    if (w.entry === 'normal' && w.tareKg !== undefined && w.tareKg < 0) {
      ctx.addIssue({ code: 'custom', path: ['tareKg'], message: 'a normal entry has a tare of 0 kg or more' });
    }
    if (w.entry === 'normal' && (w.voids || w.voidedAt)) {
      ctx.addIssue({ code: 'custom', path: ['voids'], message: 'only a void entry cancels another' });
    }
    if (w.direction === 'in' && !w.collectType) {
      ctx.addIssue({ code: 'custom', path: ['collectType'], message: 'an incoming weighing needs a collectType' });
    }
    if (w.direction === 'out' && !w.destination) {
      ctx.addIssue({ code: 'custom', path: ['destination'], message: 'an outgoing weighing needs a destination' });
    }
    if (w.entry === 'normal' && w.netKg <= 0) {
      ctx.addIssue({ code: 'custom', path: ['netKg'], message: 'a normal entry weighs more than 0 kg' });
    }
    if (w.entry === 'void' && w.netKg >= 0) {
      ctx.addIssue({ code: 'custom', path: ['netKg'], message: 'a void entry compensates with a negative weight' });
    }
  });

/**
 * A bon closed or abandoned at the counter: how the goods came (or where they go), the district, the
 * comment, and its totals. Its lines are the weighings carrying its `bonId`; an abandoned bon's lines
 * are voided first, so every sum stays right. `capturedAt` is when it was opened.
 */
export const bonSchema = z
  .object({
    v,
    id: eventId,
    seq,
    bonId,
    capturedAt: isoTime,
    closedAt: isoTime,
    clockSynced: z.boolean(),
    clockRef: clockRef.optional(),
    clockRepaired: z.boolean().optional(),
    state: z.enum(['closed', 'abandoned']),
    direction: z.enum(['in', 'out']),
    collectType: slug.optional(),
    district: slug.optional(),
    destination: slug.optional(),
    partner: slug.optional(),
    comment: z.string().max(500).optional(),
    /** Lines still standing (not voided) and their net kilograms. */
    lines: z.number().int().nonnegative().max(MAX_BON_LINES),
    netKg: z.number().nonnegative().max(MAX_BON_LINES * MAX_KG),
    by: operator.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.direction === 'in' && !b.collectType) ctx.addIssue({ code: 'custom', path: ['collectType'], message: 'an incoming bon needs a collectType' });
    if (b.direction === 'out' && !b.destination) ctx.addIssue({ code: 'custom', path: ['destination'], message: 'an outgoing bon needs a destination' });
    if (b.state === 'abandoned' && (b.lines !== 0 || b.netKg !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['lines'], message: 'an abandoned bon has had its lines voided' });
    }
    if (b.netKg > b.lines * MAX_KG) ctx.addIssue({ code: 'custom', path: ['netKg'], message: `${b.lines} lines weigh at most ${b.lines * MAX_KG} kg` });
  });

const passages = z.number().int().nonnegative().max(MAX_PASSAGES, `beyond the ${MAX_PASSAGES} passages a door sees in a bucket`);

/** A door counter bucket: deltas over [bucketStart, bucketStart + bucketSeconds), never raw counters. */
export const visitsSchema = z
  .object({
    v,
    id: eventId,
    seq,
    bucketStart: isoTime,
    bucketSeconds: z.number().int().positive().max(86_400),
    clockSynced: z.boolean(),
    clockRef: clockRef.optional(),
    clockRepaired: z.boolean().optional(),
    in: passages,
    out: passages,
  })
  .strict();

export const scaleStates = ['stable', 'moving', 'overload', 'underload', 'offline'] as const;
export type ScaleState = (typeof scaleStates)[number];

/** The current weight of a scale, for live views only (QoS 0, never stored). */
export const liveSchema = z
  .object({
    v,
    t: isoTime,
    kg: kg.nullable(),
    state: z.enum(scaleStates),
  })
  .strict();

export const deviceStateSchema = z
  .object({
    state: z.enum(['ok', 'degraded', 'offline']),
    lastReadingAt: isoTime.nullable(),
    consecutiveErrors: z.number().int().nonnegative(),
    detail: z.string().max(500).optional(),
  })
  .strict();

/** Retained. The agent's last will publishes `{v:1, state:"offline"}` when its connection dies. */
export const statusSchema = z
  .object({
    v,
    state: z.enum(['online', 'offline']),
    t: isoTime.optional(),
    version: z.string().max(64).optional(),
    /** When the agent first ran with a synchronised clock: nothing it captured can be older. */
    installedAt: isoTime.optional(),
    devices: z.record(slug, deviceStateSchema).optional(),
  })
  .strict();

/** Retained. Sent when the agent connects, then every `healthIntervalS`. */
export const healthSchema = z
  .object({
    v,
    t: isoTime,
    outbox: z
      .object({
        depth: z.number().int().nonnegative(),
        oldestAgeS: z.number().nonnegative().nullable(),
        /** Events ingest refused for good, kept in the agent's dead-letter file. */
        deadLetters: z.number().int().nonnegative().optional(),
        /** Size on disk, whether it is full, and how many new events it refused because it was. */
        bytes: z.number().int().nonnegative().optional(),
        full: z.boolean().optional(),
        refused: z.number().int().nonnegative().optional(),
      })
      .strict(),
    devices: z.record(
      slug,
      z
        .object({
          errors: z.number().int().nonnegative(),
          state: deviceStateSchema.shape.state,
          /** Optional: agents older than this field send health without it. */
          lastReadingAt: deviceStateSchema.shape.lastReadingAt.optional(),
        })
        .strict(),
    ),
    diskFreeBytes: z.number().int().nonnegative().nullable(),
    clock: z.object({ synced: z.boolean() }).strict(),
  })
  .strict();

/** From ingest to an agent: these event ids are now stored in InfluxDB and may be forgotten. */
export const receiptSchema = z
  .object({
    v,
    ids: z.array(eventId).min(1).max(10_000),
  })
  .strict();

/**
 * The largest payload any kind may have; ingest refuses bigger ones before parsing. A batch is one payload
 * too, so the events it carries together fit under it.
 */
export const MAX_PAYLOAD_BYTES = 512 * 1024;
/** The most events one batch may carry: ingest offers at most this many, and refuses a batch beyond. */
export const MAX_BATCH_EVENTS = 1000;

/**
 * Several stored events in one MQTT message, from an agent that ingest told it accepts them (`accepts`).
 * A transport envelope only: each item is the exact payload of the single message it stands for, with the
 * device and kind its topic would have had, so ingest validates, stores, receipts and dead-letters each
 * as that message, and a dead letter's hash is the hash of what the agent sent. Device and kind are checked
 * by ingest with the topic's own rules, item by item: one bad item must not take its neighbours with it.
 */
export const batchSchema = z
  .object({
    v,
    events: z
      .array(
        z
          .object({
            device: z.string().min(1).max(32),
            kind: z.string().min(1).max(32),
            payload: z.string().min(1).max(MAX_PAYLOAD_BYTES),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_BATCH_EVENTS),
  })
  .strict();

/**
 * From ingest to an agent, in answer to its online status: what it accepts beyond one message per event.
 * Not strict, unlike every other message: an agent ignores an offer it does not know yet, which is how a
 * later ingest can offer more without an older agent refusing the message.
 */
export const acceptsSchema = z.object({
  v,
  batch: z
    .object({
      maxEvents: z.number().int().min(2).max(MAX_BATCH_EVENTS),
      maxBytes: z.number().int().min(1024).max(MAX_PAYLOAD_BYTES),
    })
    .optional(),
});

/**
 * From ingest to an agent: a message it will never store, and why. The agent stops resending that event
 * and keeps it in its local dead-letter file for a person to look at: refused is not lost.
 */
export const deadLetterSchema = z
  .object({
    v,
    /** The event's id when the payload had a readable one. */
    id: eventId.optional(),
    topic: z.string().max(300),
    reason: z.string().max(500),
    /** The payload's first bytes, printable, for a person to recognise it. */
    firstBytes: z.string().max(300),
    /**
     * SHA-256 (hex) of the refused payload. The agent forgets an event only if this is the hash of what it
     * sent: a malformed copy carrying a real event's id must not make the real event disappear.
     */
    payloadSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    at: isoTime,
  })
  .strict();

export type Weighing = z.infer<typeof weighingSchema>;
export type WeighingInput = z.input<typeof weighingSchema>;
export type Visits = z.infer<typeof visitsSchema>;
export type Bon = z.infer<typeof bonSchema>;
export type Live = z.infer<typeof liveSchema>;
export type DeviceState = z.infer<typeof deviceStateSchema>;
export type Status = z.infer<typeof statusSchema>;
export type Health = z.infer<typeof healthSchema>;
export type Receipt = z.infer<typeof receiptSchema>;
export type DeadLetter = z.infer<typeof deadLetterSchema>;
export type Batch = z.infer<typeof batchSchema>;
export type Accepts = z.infer<typeof acceptsSchema>;

import { z } from 'zod';
import type { CounterReading } from '../drivers/counter.js';

/**
 * How raw cumulative counts become deltas (the `visits:` block of a counter device shares these keys).
 *
 * The rule, per channel (`in` and `out` are judged separately), with L the last raw value, R the new
 * one, M the modulo, W = wrapWindow × M and D = maxDeltaPerReading:
 *
 * - R ≥ L: the delta is R − L, if it is at most D.
 * - R < L, L within W of the top (L ≥ M − W) and R within W of the bottom (R < W): a **wrap**, the delta
 *   is (R − L) mod M, if it is at most D.
 * - Anything else is a **reset** (a drop far from the top: most counters restart from 0 on power
 *   loss; or a jump of more than D people between two readings, which no door sees): the counter is
 *   taken to have restarted from 0, so the delta is R itself — or 0 if R is more than D, in which case
 *   the reading is only a new baseline. An implausible number never becomes thousands of phantom visitors.
 *
 * A reset is believed only once the next reading confirms it (counts on plausibly from it); if instead
 * the next reading follows on from L, the odd one was a glitch (a misread register, a frame that passed
 * its CRC by chance) and is ignored. Otherwise a single bad reading, say L=500 → 3 000 000 → 500, would
 * count 500 phantom visitors on the way back.
 *
 * Known ambiguities, bounded by D: a reset just below the top of a counter looks like a wrap, and a
 * counter that restarted and already counted past its old value (a long outage) looks like a plain
 * increase, undercounting by the old value. Readings every second or so make both rare.
 *
 * The first reading (no previous value, or a different modulo: the old raw values mean nothing then)
 * is only a baseline and counts 0.
 */
export const counterDeltaOptionsSchema = z
  .object({
    /** Fraction of the modulo, at each end, inside which a drop from the top to the bottom is a wrap. */
    wrapWindow: z.number().gt(0).max(0.5).default(0.1),
    /** More people than this between two readings is not believed: the reading is treated as a reset. */
    maxDeltaPerReading: z.number().int().positive().default(1000),
  })
  .strict();

export type CounterDeltaOptions = z.infer<typeof counterDeltaOptionsSchema>;
export type CounterDeltaOptionsInput = z.input<typeof counterDeltaOptionsSchema>;

export type ChannelKind = 'count' | 'wrap' | 'reset';

/** The raw values the next reading is compared with: what the state store persists. */
export interface CounterBaseline {
  in: number;
  out: number;
  modulo: number;
}

export type DeltaResult =
  | { kind: 'baseline'; in: 0; out: 0; reason: string }
  /** A reading that looks like a reset, counted only once the next one confirms it. */
  | { kind: 'held'; in: 0; out: 0; reason: string }
  | {
      kind: 'deltas';
      in: number;
      out: number;
      /** How each channel moved since the last accepted reading (through a confirmed held one, if any). */
      inKind: ChannelKind;
      outKind: ChannelKind;
      /** What became of a held reading: its reset confirmed, or ignored as a glitch. */
      held?: 'confirmed' | 'ignored';
    }
  /** A reading that cannot be a counter value (negative, fractional, not below its modulo): ignored. */
  | { kind: 'invalid'; reason: string };

/** One channel's delta from L to R modulo M (see counterDeltaOptionsSchema for the rule). */
export function channelDelta(last: number, raw: number, modulo: number, options: CounterDeltaOptions): { delta: number; kind: ChannelKind } {
  const max = options.maxDeltaPerReading;
  const window = Math.max(1, Math.floor(options.wrapWindow * modulo));
  if (raw >= last) {
    if (raw - last <= max) return { delta: raw - last, kind: 'count' };
  } else {
    const wrapped = modulo - last + raw;
    if (last >= modulo - window && raw < window && wrapped <= max) return { delta: wrapped, kind: 'wrap' };
  }
  return { delta: raw <= max ? raw : 0, kind: 'reset' };
}

type Pair = { in: { delta: number; kind: ChannelKind }; out: { delta: number; kind: ChannelKind } };

/** Turns successive raw readings of one counter into deltas; holds the last accepted raw values. */
export class CounterDeltas {
  private readonly options: CounterDeltaOptions;
  private last: CounterBaseline | undefined;
  /** A reading that looked like a reset, waiting for the next one to confirm it. */
  private suspect: CounterBaseline | undefined;

  constructor(options: CounterDeltaOptionsInput = {}, baseline?: CounterBaseline) {
    this.options = counterDeltaOptionsSchema.parse(options);
    this.last = baseline ? { ...baseline } : undefined;
  }

  /** The last accepted raw values (undefined before the first reading); a held reading is not accepted yet. */
  get baseline(): CounterBaseline | undefined {
    return this.last ? { ...this.last } : undefined;
  }

  next(reading: CounterReading): DeltaResult {
    const { modulo } = reading;
    if (!Number.isSafeInteger(modulo) || modulo < 2) return { kind: 'invalid', reason: `modulo ${modulo} is not an integer ≥ 2` };
    for (const channel of ['in', 'out'] as const) {
      const raw = reading[channel];
      if (!Number.isSafeInteger(raw) || raw < 0 || raw >= modulo) {
        return { kind: 'invalid', reason: `raw ${channel} count ${raw} is not an integer in [0, ${modulo})` };
      }
    }
    const now: CounterBaseline = { in: reading.in, out: reading.out, modulo };
    const last = this.last;
    if (!last || last.modulo !== modulo) {
      this.last = now;
      this.suspect = undefined;
      return { kind: 'baseline', in: 0, out: 0, reason: last ? `modulo changed from ${last.modulo} to ${modulo}` : 'first reading' };
    }
    const fromLast = this.pair(last, now);
    const suspect = this.suspect;
    this.suspect = undefined;
    if (!isReset(fromLast)) {
      this.last = now;
      return { ...deltas(fromLast), ...(suspect ? { held: 'ignored' as const } : {}) };
    }
    if (suspect) {
      const fromSuspect = this.pair(suspect, now);
      if (!isReset(fromSuspect)) {
        // Confirmed: what the reset brought, then the plain count since the held reading.
        const reset = this.pair(last, suspect);
        this.last = now;
        return {
          kind: 'deltas',
          in: reset.in.delta + fromSuspect.in.delta,
          out: reset.out.delta + fromSuspect.out.delta,
          inKind: reset.in.kind,
          outKind: reset.out.kind,
          held: 'confirmed',
        };
      }
    }
    this.suspect = now;
    const what = (['in', 'out'] as const)
      .filter((c) => fromLast[c].kind === 'reset')
      .map((c) => `${c} ${last[c]} → ${now[c]}`)
      .join(', ');
    return { kind: 'held', in: 0, out: 0, reason: `${what} looks like a reset; waiting for the next reading to confirm it` };
  }

  private pair(from: CounterBaseline, to: CounterBaseline): Pair {
    return {
      in: channelDelta(from.in, to.in, to.modulo, this.options),
      out: channelDelta(from.out, to.out, to.modulo, this.options),
    };
  }
}

function isReset(p: Pair): boolean {
  return p.in.kind === 'reset' || p.out.kind === 'reset';
}

function deltas(p: Pair): Extract<DeltaResult, { kind: 'deltas' }> {
  return { kind: 'deltas', in: p.in.delta, out: p.out.delta, inKind: p.in.kind, outKind: p.out.kind };
}

import type { EventEmitter } from 'node:events';

/**
 * What any scale driver makes of a frame. Only `mass` readings carry a number; the state machine
 * takes a weighing only from a stable mass reading. Everything else is shown live, never posted.
 */
export type ScaleReading =
  | {
      kind: 'mass';
      /** Displayed weight in kg (net if `net`, else gross), signed, rounded to the scale's resolution. */
      kg: number;
      stable: boolean;
      net: boolean;
      /** Tare in kg when the frame carries it. */
      tareKg?: number;
    }
  | { kind: 'overload' }
  | { kind: 'underload' }
  /** A frame that is well-formed but not a mass: counting mode, percent, tare-only display… */
  | { kind: 'not-mass'; reason: string };

/** A frame the driver could not use, with a printable copy of its bytes for logs and sniffers. */
export interface FrameError {
  reason: string;
  raw: string;
}

export type LinkState = 'connecting' | 'open' | 'closed';

export interface ScaleDriverEvents {
  reading: [reading: ScaleReading, raw: string];
  frameError: [error: FrameError];
  link: [state: LinkState, detail?: string];
}

/** A running scale driver: it owns its transport, reconnects by itself and never throws on bad input. */
export interface ScaleDriver extends EventEmitter<ScaleDriverEvents> {
  start(): void;
  stop(): Promise<void>;
  /** Sends a device command (zero, tare…) where the protocol supports it. */
  command?(name: 'zero' | 'tare'): void;
}

/** How much of a bad frame or a skipped run a frameError shows: enough to recognise a wrong baud rate or layout. */
export const SHOWN_BYTES = 64;

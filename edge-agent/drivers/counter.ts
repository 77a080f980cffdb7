import type { EventEmitter } from 'node:events';
import type { FrameError, LinkState } from './scale.js';

/**
 * Raw cumulative counts as a door counter shows them. Deltas are computed by the agent modulo `modulo`
 * (65536 for a 16-bit register, 2^32, 1 000 000 for a decimal display wrapping at 999999).
 */
export interface CounterReading {
  in: number;
  out: number;
  modulo: number;
}

export interface CounterDriverEvents {
  counts: [reading: CounterReading];
  frameError: [error: FrameError];
  link: [state: LinkState, detail?: string];
}

export interface CounterDriver extends EventEmitter<CounterDriverEvents> {
  start(): void;
  stop(): Promise<void>;
}

import { EventEmitter } from 'node:events';
import { withParity, type LineParity } from './parity.js';
import { ScaleModel, type LoadableScale, type ScaleDisplay, type ScaleModelOptions } from './scale-model.js';
import type { ByteSink, SimulatedDevice } from './sim-device.js';

export interface SimulatedScaleBaseOptions extends ScaleModelOptions {
  /** A streaming scale sends one frame every intervalMs once started (default 100 ms: 10 Hz). */
  intervalMs?: number;
}

export interface SimulatedScaleEvents {
  /** Every frame written, with the display it shows. */
  frame: [frame: Buffer, display: ScaleDisplay];
  /** The first stable frame after a load change: what a latency benchmark measures from. */
  firstStableFrame: [kg: number, at: number];
}

/**
 * What every protocol twin shares: the scale model, the sink, a frame clock for streaming protocols, and
 * load/unload for the attendant and the tests. A twin implements `encode` (the display as its frame) and
 * `receive` (the host's commands: a request/response protocol answers there with `send`).
 */
export abstract class SimulatedScaleBase extends EventEmitter<SimulatedScaleEvents> implements SimulatedDevice, LoadableScale {
  readonly model: ScaleModel;
  protected sink: ByteSink | undefined;
  private timer: NodeJS.Timeout | undefined;
  protected readonly intervalMs: number;

  constructor(options: SimulatedScaleBaseOptions = {}) {
    super();
    const { intervalMs = 100, ...model } = options;
    this.intervalMs = intervalMs;
    this.model = new ScaleModel(model);
    this.model.on('firstStableFrame', (kg, at) => this.emit('firstStableFrame', kg, at));
  }

  /** The display as this protocol's frame, terminator included. */
  protected abstract encode(display: ScaleDisplay): Buffer;
  abstract receive(chunk: Buffer): void;

  get platterKg(): number {
    return this.model.platterKg;
  }

  load(kg: number): void {
    this.model.load(kg);
  }

  unload(): void {
    this.model.unload();
  }

  setOverload(on: boolean): void {
    this.model.setOverload(on);
  }

  setSwaying(on: boolean): void {
    this.model.setSwaying(on);
  }

  setSink(sink: ByteSink | undefined): void {
    this.sink = sink;
  }

  /** Streams a frame every intervalMs (streaming protocols; a request/response twin never calls it). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes bytes as they are (garbage, a power-up banner) between frames. */
  sendRaw(bytes: Buffer | string): void {
    this.sink?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'));
  }

  /** Builds the frame of the current display, writes it and returns it. */
  tick(): Buffer {
    return this.send(this.model.display());
  }

  /** Writes the frame of `display` (a reply, or a streamed frame) and notes what the host was told. */
  protected send(display: ScaleDisplay, frame: Buffer = this.encode(display)): Buffer {
    this.sink?.write(frame);
    this.emit('frame', frame, display);
    this.model.reported(display);
    return frame;
  }
}

/** Faults a test or a chaos run turns on and off while a request/reply twin runs (see `faults`). */
export interface ReplyFaults {
  /** Every reply leaves this long after its request (default 0). */
  replyDelayMs: number;
  /** The scale hears commands but never answers (default false). */
  dead: boolean;
  /** Written just before each reply, as line noise the host must skip (default none). */
  garbageBeforeReply: Buffer | undefined;
}

export interface SimulatedRequestReplyScaleOptions extends SimulatedScaleBaseOptions, Partial<ReplyFaults> {
  /** Sets bit 7 of every reply as a 7E1/7O1 line would (default none). */
  parity?: LineParity;
}

/** The commands a twin remembers, for tests that check the host kept asking. */
const REMEMBERED_COMMANDS = 100;

/**
 * What the twins of request/reply protocols (MT-SICS, SMA) share on top of the base: every reply goes out
 * through `faults` (delay, a dead scale, garbage before it) and the line's parity, the last commands heard
 * are kept in `received`, and `start()` repeats the weight reply (SIR, R) until `stopRepeating()`.
 * A twin calls `remember` with each command it parses, and answers with `tick()` (the weight reply of the
 * current display) or `deliver`.
 */
export abstract class SimulatedRequestReplyScale extends SimulatedScaleBase {
  readonly faults: ReplyFaults;
  /** The last commands received, oldest first. */
  readonly received: string[] = [];
  private readonly parity: LineParity;
  private readonly delayed = new Set<NodeJS.Timeout>();

  constructor(options: SimulatedRequestReplyScaleOptions = {}) {
    const { parity = 'none', replyDelayMs = 0, dead = false, garbageBeforeReply, ...base } = options;
    super(base);
    this.parity = parity;
    this.faults = { replyDelayMs, dead, garbageBeforeReply };
  }

  /** Stops repeating and drops replies still waiting for their delay. */
  override stop(): void {
    this.stopRepeating();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
  }

  /** One weight reply of the current display, as a weight request answers it and a repeat command repeats it. */
  override tick(): Buffer {
    const display = this.model.display();
    const frame = this.encode(display);
    this.deliver(frame, display);
    return frame;
  }

  /** Notes a command heard, for `received`. */
  protected remember(command: string): void {
    this.received.push(command);
    if (this.received.length > REMEMBERED_COMMANDS) this.received.shift();
  }

  /** Stops the repeated weight reply, keeping delayed replies. */
  protected stopRepeating(): void {
    super.stop();
  }

  /** Every reply goes out through the faults; a weight reply also as a frame of `display` (firstStableFrame). */
  protected deliver(frame: Buffer, display?: ScaleDisplay): void {
    if (this.faults.dead) return;
    const go = (): void => {
      if (this.faults.garbageBeforeReply) this.sendRaw(this.faults.garbageBeforeReply);
      const bytes = withParity(frame, this.parity);
      if (display) this.send(display, bytes);
      else this.sendRaw(bytes);
    };
    if (this.faults.replyDelayMs <= 0) return go();
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      go();
    }, this.faults.replyDelayMs);
    this.delayed.add(timer);
  }
}

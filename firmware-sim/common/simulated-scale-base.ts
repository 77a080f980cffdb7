import { EventEmitter } from 'node:events';
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

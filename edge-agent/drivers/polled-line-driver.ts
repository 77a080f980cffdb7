import type { ByteTransport } from '../transport/transport.js';
import { LineFramer, mask7, type LineFramerOptions, type PolledRequest, type RequestLoop } from './ascii-lines.js';
import { StreamScaleDriver } from './stream-driver.js';

/**
 * What the drivers of polled line protocols (SMA, Radwag, Ohaus, NCI) share: replies framed by their end
 * (and start byte) after masking bit 7 (parity on 7-bit links), one request outstanding at a time through
 * the RequestLoop while the link is open, commands ahead of the next poll. A driver gives its framing, its
 * weight request and what a frame becomes.
 */
export abstract class PolledLineDriver<R extends PolledRequest> extends StreamScaleDriver {
  protected readonly loop: RequestLoop<R>;
  private readonly framer: LineFramer;

  constructor(transport: ByteTransport, framing: LineFramerOptions, polling: { pollMs: number; poll: () => R | undefined }) {
    super(transport);
    this.framer = new LineFramer(framing, (frame) => this.frame(frame), (error) => this.emit('frameError', error));
    this.loop = this.requestLoop(polling);
  }

  /** One frame, its end (and start) removed. */
  protected abstract frame(frame: Buffer): void;

  protected receive(chunk: Buffer): void {
    this.framer.push(mask7(chunk));
  }

  protected resetFraming(): void {
    this.framer.reset();
  }

  protected override linkOpened(): void {
    this.loop.start();
  }

  protected override linkClosed(): void {
    this.loop.stop();
  }
}

import { EventEmitter } from 'node:events';
import type { ByteTransport } from '../transport/transport.js';
import { RequestLoop, type PolledRequest } from './ascii-lines.js';
import type { FrameError, LinkState, ScaleDriver, ScaleDriverEvents } from './scale.js';

/** What every stream driver reports, whatever it reads (scale readings, door counts…). */
export interface StreamDriverEvents {
  frameError: [error: FrameError];
  link: [state: LinkState, detail?: string];
}

/**
 * What every driver of a streamed serial protocol shares: it owns its transport, follows it through
 * losses and reopenings, reports the link, and forgets half a frame when the link goes. A subclass only
 * frames and parses bytes (`receive`), and may act when the link opens or goes (a poll timer…).
 * `Events` is the driver's event map: scale readings, door counts…, with the link and frame errors.
 */
export abstract class StreamDriver<Events extends StreamDriverEvents & Record<keyof Events, unknown[]>> extends EventEmitter<Events> {
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onOpen = (): void => {
    this.reportLink('open', this.transport.description);
    this.linkOpened();
  };
  private readonly onClose = (reason: string): void => {
    // Half a frame from before the loss must not be glued to the first bytes after it.
    this.resetFraming();
    this.linkClosed();
    this.reportLink('closed', reason);
  };
  private running = false;

  constructor(protected readonly transport: ByteTransport) {
    super();
  }

  /** Bytes from the device, in chunks cut anywhere. Never throws: bad bytes become `frameError`s. */
  protected abstract receive(chunk: Buffer): void;
  /** Drops whatever partial frame is buffered. */
  protected abstract resetFraming(): void;
  protected linkOpened(): void {}
  /** Called on every loss and on stop(): stop anything that writes to the device. */
  protected linkClosed(): void {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.transport.on('data', this.onData);
    this.transport.on('open', this.onOpen);
    this.transport.on('close', this.onClose);
    this.reportLink('connecting', this.transport.description);
    this.transport.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.transport.stop();
    this.transport.off('data', this.onData);
    this.transport.off('open', this.onOpen);
    this.transport.off('close', this.onClose);
    this.resetFraming();
    this.linkClosed();
  }

  private reportLink(state: LinkState, detail: string): void {
    // Every Events has `link`; TypeScript cannot resolve emit's arguments on a generic event map.
    (this as EventEmitter<StreamDriverEvents>).emit('link', state, detail);
  }
}

/** A stream driver of a scale: readings, frame errors, the link. */
export abstract class StreamScaleDriver extends StreamDriver<ScaleDriverEvents> implements ScaleDriver {
  /** The request loop of a polled protocol on this driver's transport: a request left unanswered is a frameError naming it. */
  protected requestLoop<R extends PolledRequest>(polling: { pollMs: number; poll: () => R | undefined }): RequestLoop<R> {
    return new RequestLoop<R>({
      ...polling,
      write: (wire) => this.transport.write(wire),
      onTimeout: (r) => this.emit('frameError', { reason: `no reply to ${r.label} within ${r.timeoutMs} ms`, raw: '' }),
    });
  }
}

/** How much of an unfinished command a twin keeps: a host that never ends its lines cannot grow it. */
const MAX_PENDING = 256;

/**
 * Cuts the bytes a twin hears from its host into commands ending in `end` (CR LF for most protocols),
 * whatever the chunking. Each command goes to `onCommand` as sent, without its terminator, as soon as
 * it is whole.
 */
export class CommandLines {
  private pending = '';

  constructor(
    private readonly end: string,
    private readonly onCommand: (command: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending = (this.pending + chunk.toString('latin1')).slice(-MAX_PENDING);
    let end: number;
    while ((end = this.pending.indexOf(this.end)) >= 0) {
      const command = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + this.end.length);
      this.onCommand(command);
    }
  }
}

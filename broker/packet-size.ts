import type { Duplex } from 'node:stream';

/**
 * Room in a packet beyond its payload: the fixed header, the topic, a packet id, a CONNECT's client id,
 * username and password (a will's payload counts as payload).
 */
export const PACKET_HEADROOM_BYTES = 4096;

/**
 * Follows the MQTT framing of a byte stream (fixed header, remaining length, body) and tells, from the
 * first bytes of a packet, whether it announces more than the maximum: aedes' parser would buffer the
 * whole packet before anyone could look at it.
 */
export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxBytes: number) {}

  /** Why the stream must be cut, or undefined while every packet announced so far fits. */
  scan(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
        if (this.bodyLeft === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes++;
      if (byte & 0x80) {
        // MQTT's remaining length has at most 4 bytes.
        if (this.lengthBytes === 4) return 'malformed packet length';
        continue;
      }
      if (this.length > this.maxBytes) return `packet of ${this.length} bytes exceeds the maximum of ${this.maxBytes}`;
      this.bodyLeft = this.length;
      this.state = this.length > 0 ? 'body' : 'type';
    }
    return undefined;
  }
}

/**
 * Cuts a connection as soon as it announces a packet over `maxBytes`. Call it after aedes has taken the
 * socket: aedes reads it with `read()` on 'readable', and a 'data' listener added then sees each chunk as
 * aedes reads it, without switching the socket to flowing mode.
 */
export function limitPacketSize(socket: Duplex, maxBytes: number, onCut: (reason: string) => void): void {
  const scanner = new PacketSizeScanner(maxBytes);
  const watch = (chunk: Buffer) => {
    const reason = scanner.scan(chunk);
    if (reason === undefined) return;
    socket.off('data', watch);
    onCut(reason);
    socket.destroy();
  };
  socket.on('data', watch);
}

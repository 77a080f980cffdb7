/** Where a simulated device writes its bytes: a serial port, a socket, a TCP server broadcasting… */
export interface ByteSink {
  write(chunk: Buffer): unknown;
}

/** A simulated device as the pty pair and the TCP server see it: bytes out to a sink, commands in. */
export interface SimulatedDevice {
  setSink(sink: ByteSink | undefined): void;
  receive(chunk: Buffer): void;
}

/** mulberry32: a tiny seeded generator in [0, 1), so that a simulated day replays identically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

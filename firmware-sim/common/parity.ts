/** The parity a simulated serial line adds in bit 7: none (8N1, bytes as they are), or 7E1/7O1. */
export type LineParity = 'none' | 'even' | 'odd';

/**
 * Sets bit 7 of each byte to its even or odd parity, as a 7E1/7O1 line delivers it to a host reading 8N1
 * (a pty ignores line settings, so the simulator adds the parity bits itself). `none` returns `bytes`.
 */
export function withParity(bytes: Buffer, parity: LineParity): Buffer {
  if (parity === 'none') return bytes;
  const out = Buffer.alloc(bytes.length);
  bytes.forEach((b, i) => {
    let ones = 0;
    for (let v = b & 0x7f; v; v >>= 1) ones += v & 1;
    const bit = (ones % 2 === 1) === (parity === 'even') ? 0x80 : 0;
    out[i] = (b & 0x7f) | bit;
  });
  return out;
}

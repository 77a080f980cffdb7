import { describe, expect, it } from 'vitest';
import { PacketSizeScanner } from './packet-size.js';

// A PUBLISH fixed header (0x30) with MQTT's variable-length "remaining length".
function header(length: number): number[] {
  const bytes = [0x30];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    bytes.push(b);
  } while (length > 0);
  return bytes;
}

describe('the packet size scanner', () => {
  it('follows packets across chunks and lets those within the maximum through', () => {
    const scanner = new PacketSizeScanner(1000);
    const packets = [...header(1000), ...new Array<number>(1000).fill(1), ...header(0), ...header(200), ...new Array<number>(200).fill(2)];
    for (let i = 0; i < packets.length; i += 7) expect(scanner.scan(Uint8Array.from(packets.slice(i, i + 7)))).toBeUndefined();
  });

  it('reports a packet over the maximum from its header, before its body arrives', () => {
    const scanner = new PacketSizeScanner(1000);
    expect(scanner.scan(Uint8Array.from([...header(10), ...new Array<number>(10).fill(0)]))).toBeUndefined();
    expect(scanner.scan(Uint8Array.from(header(10 * 1024 * 1024)))).toMatch(/packet of 10485760 bytes exceeds the maximum of 1000/);
  });

  it('reports a remaining length longer than MQTT allows', () => {
    expect(new PacketSizeScanner(1000).scan(Uint8Array.from([0x30, 0x80, 0x80, 0x80, 0x80]))).toMatch(/malformed/);
  });
});

/**
 * Printable form of raw bytes: ASCII as is, control bytes as <XX>. The agent's drivers show bad frames with
 * it and ingest shows the first bytes of a refused message with it, so it lives below both.
 */
export function printable(bytes: Buffer | string): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  let out = '';
  for (const b of buf) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `<${b.toString(16).padStart(2, '0').toUpperCase()}>`;
  return out;
}

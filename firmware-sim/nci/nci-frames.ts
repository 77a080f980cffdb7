/** What an SCP-12 reply says, before it is laid out. */
export interface NciReplyFields {
  motion?: boolean;
  atZero?: boolean;
  overCapacity?: boolean;
  underCapacity?: boolean;
  net?: boolean;
  /** A fault bit: RAM, EEPROM, ROM, calibration or initial zero error. */
  fault?: 'ram' | 'eeprom' | 'rom' | 'calibration' | 'initial-zero';
  /** The value in `unit` (lower case, 2 characters), with `decimals` (default 2); absent, only the status is sent. */
  value?: number;
  unit?: string;
  decimals?: number;
}

/** The three status bytes: bits 4 and 5 set, byte 2 saying that byte 3 follows. */
export function nciStatusBytes(f: NciReplyFields): number[] {
  const b1 = 0x30 | (f.motion ? 0x01 : 0) | (f.atZero ? 0x02 : 0) | (f.fault === 'ram' ? 0x04 : 0) | (f.fault === 'eeprom' ? 0x08 : 0);
  const b2 = 0x70 | (f.underCapacity ? 0x01 : 0) | (f.overCapacity ? 0x02 : 0) | (f.fault === 'rom' ? 0x04 : 0) | (f.fault === 'calibration' ? 0x08 : 0);
  const b3 = 0x30 | (f.net ? 0x04 : 0) | (f.fault === 'initial-zero' ? 0x08 : 0);
  return [b1, b2, b3];
}

/**
 * Lays out one reply with its LF … CR ETX: the exact inverse of parseNciReply (edge-agent/drivers/nci/parser.ts).
 * The weight line is the polarity, 7 characters of weight with its point, the unit; out of capacity it is
 * `^` or `_` characters in place of the weight.
 */
export function encodeNciReply(f: NciReplyFields): Buffer {
  const status = Buffer.from(nciStatusBytes(f));
  if (f.value === undefined && !f.overCapacity && !f.underCapacity) return Buffer.concat([Buffer.from('\n'), status, Buffer.from('\r\x03')]);
  const unit = (f.unit ?? 'kg').padEnd(2);
  let weight: string;
  if (f.overCapacity) weight = '^'.repeat(9);
  else if (f.underCapacity) weight = '_'.repeat(9);
  else {
    const v = f.value ?? 0;
    const digits = Math.abs(v).toFixed(f.decimals ?? 2);
    if (digits.length > 8) throw new RangeError(`${v} does not fit the weight field`);
    weight = `${v < 0 ? '-' : ' '}${digits.padStart(8)}`;
  }
  return Buffer.concat([Buffer.from(`\n${weight}${unit}\r\n`, 'latin1'), status, Buffer.from('\r\x03')]);
}

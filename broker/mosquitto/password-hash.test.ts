import { describe, expect, it } from 'vitest';
import { mosquittoPasswordHash } from './password-hash.js';

describe('mosquittoPasswordHash', () => {
  it("gives mosquitto_passwd's own line for the same password and salt", () => {
    // From `mosquitto_passwd -c -b passwd alice s3cret` (Mosquitto 2.0.11).
    const line = '$7$101$n2UB+r6AuuokL6yl$4TYhipo4M4pQ0jT/tNVLce9l6h8myxps5J5umxugAiKb6ngepuDFB6O2hC52At12ZXFcCQNDeb9AU9XLPZNXmw==';
    const salt = Buffer.from(line.split('$')[3]!, 'base64');
    expect(mosquittoPasswordHash('s3cret', salt)).toBe(line);
  });

  it('salts each hash afresh', () => {
    const [a, b] = [mosquittoPasswordHash('same'), mosquittoPasswordHash('same')];
    expect(a).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(a).not.toBe(b);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agentIdentitySchema, caPin, CODE_SECRET_CHARS, formatCode, parseCode } from './enrolment.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const CA_SHA = sha('a CA certificate');

describe('enrolment codes', () => {
  it('formats 12 secret characters in groups of four, and reads them back', () => {
    const code = formatCode(randomBytes(8), undefined);
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(parseCode(code)).toEqual({ secret: code.replace(/-/g, '') });
  });

  it('appends the CA pin when the server is its own CA, and reads both back', () => {
    const code = formatCode(randomBytes(8), CA_SHA);
    expect(code.split('-')).toHaveLength(7);
    const parsed = parseCode(code)!;
    expect(parsed.secret).toHaveLength(CODE_SECRET_CHARS);
    expect(parsed.secret).toBe(code.replace(/-/g, '').slice(0, CODE_SECRET_CHARS));
    expect(parsed.pin).toBe(caPin(CA_SHA));
  });

  it('encodes the random bytes big-endian, 5 bits a character, in Crockford base32', () => {
    expect(formatCode(new Uint8Array(8), undefined)).toBe('0000-0000-0000');
    expect(formatCode(new Uint8Array(8).fill(0xff), undefined)).toBe('ZZZZ-ZZZZ-ZZZZ');
    // 0x08 = 00001000: the first 5 bits are 1, the next 5 bits are 0.
    expect(formatCode(Uint8Array.of(0x08, 0, 0, 0, 0, 0, 0, 0), undefined)).toBe('1000-0000-0000');
  });

  it('never uses the look-alike letters I, L, O, U', () => {
    for (let i = 0; i < 200; i++) expect(formatCode(randomBytes(8), CA_SHA)).not.toMatch(/[ILOU]/);
  });

  it('gives different secrets for different random bytes', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => parseCode(formatCode(randomBytes(8), undefined))!.secret));
    expect(secrets.size).toBe(100);
  });

  it('reads a code as typed: lower case, spaces, no dashes, O for 0, I and L for 1', () => {
    const secret = '01AB-CD01-EFGH';
    const wanted = { secret: '01ABCD01EFGH' };
    for (const typed of ['01ab-cd01-efgh', ' 01AB CD01 EFGH ', '01ABCD01EFGH', 'OIAB-CDOL-EFGH', 'oiab cdol-efgh', '01ab\tcd01\nefgh']) {
      expect(parseCode(typed), typed).toEqual(wanted);
    }
    expect(parseCode(secret)).toEqual(wanted);
    const pinned = formatCode(randomBytes(8), CA_SHA);
    expect(parseCode(pinned.toLowerCase().replace(/-/g, ' '))).toEqual(parseCode(pinned));
  });

  it('refuses a code of the wrong length', () => {
    const full = formatCode(randomBytes(8), CA_SHA).replace(/-/g, '');
    for (const length of [0, 1, 11, 13, 27, 29, 40]) {
      const typed = full.padEnd(40, '0').slice(0, length);
      expect(parseCode(typed), `${length} characters`).toBeUndefined();
    }
  });

  it('refuses characters outside the alphabet', () => {
    for (const typed of ['U1AB-CD01-EFGH', '01AB-CD01-EFG!', '01AB_CD01_EFGH', 'É1AB-CD01-EFGH', '01AB.CD01.EFGH']) {
      expect(parseCode(typed), typed).toBeUndefined();
    }
  });
});

describe('CA pin', () => {
  it('is stable for one SHA-256 and differs for another', () => {
    expect(caPin(CA_SHA)).toBe(caPin(CA_SHA));
    expect(caPin(CA_SHA)).toHaveLength(16);
    expect(caPin(sha('another CA'))).not.toBe(caPin(CA_SHA));
  });

  it('covers the first 80 bits of the SHA-256, and only them', () => {
    // A change in bit 79 changes the pin; a change in bit 80 and beyond does not.
    const flip = (hex: string, bit: number) => {
      const bytes = Buffer.from(hex, 'hex');
      bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
      return bytes.toString('hex');
    };
    expect(caPin(flip(CA_SHA, 79))).not.toBe(caPin(CA_SHA));
    expect(caPin(flip(CA_SHA, 80))).toBe(caPin(CA_SHA));
  });
});

describe('agent identity', () => {
  const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n';
  const identity = {
    format: 'trebuchet-agent-identity/1',
    site: 'paris-11',
    agent: 'comptoir',
    username: 'agent.paris-11.comptoir',
    password: 'a-password-of-24-chars!!',
    urls: ['mqtts://server.example:8883', 'wss://server.example:8443/mqtt'],
    caPem: CA_PEM,
    issuedAt: '2026-12-02T10:00:00.000Z',
  };

  const issues = (value: unknown) => {
    const result = agentIdentitySchema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
  };

  it('accepts a whole identity, and one without a CA (a public one)', () => {
    expect(agentIdentitySchema.parse(identity)).toEqual(identity);
    const { caPem: _caPem, ...publicCa } = identity;
    expect(agentIdentitySchema.parse(publicCa)).toEqual(publicCa);
  });

  it('refuses a plain mqtt:// URL', () => {
    expect(issues({ ...identity, urls: ['mqtt://server.example:1883'] })).toEqual([
      expect.objectContaining({ path: 'urls.0', message: 'an mqtts:// or wss:// URL' }),
    ]);
    expect(issues({ ...identity, urls: ['mqtts://server.example:8883', 'ws://server.example/mqtt'] })).toEqual([expect.objectContaining({ path: 'urls.1' })]);
    expect(issues({ ...identity, urls: [] })).toEqual([expect.objectContaining({ path: 'urls' })]);
  });

  it('refuses a password shorter than 16 characters', () => {
    expect(issues({ ...identity, password: 'x'.repeat(15) })).toEqual([expect.objectContaining({ path: 'password', code: 'too_small' })]);
    expect(issues({ ...identity, password: 'x'.repeat(16) })).toEqual([]);
  });

  it('refuses a caPem that is not a PEM certificate', () => {
    for (const caPem of ['MIIBszCCAVmgAwIBAgIQ', '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n', `${CA_PEM}trailing text`, '']) {
      expect(issues({ ...identity, caPem }), caPem).toEqual([expect.objectContaining({ path: 'caPem', message: 'a PEM certificate' })]);
    }
  });

  it('refuses an unknown key, a wrong format and a site that is not a slug', () => {
    expect(issues({ ...identity, extra: 1 })).toEqual([expect.objectContaining({ code: 'unrecognized_keys' })]);
    expect(issues({ ...identity, format: 'trebuchet-agent-identity/2' })).toEqual([expect.objectContaining({ path: 'format' })]);
    expect(issues({ ...identity, site: 'Paris 11' })).toEqual([expect.objectContaining({ path: 'site' })]);
  });
});

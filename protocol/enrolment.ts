import { z } from 'zod';
import { slug } from './ids.js';

/**
 * The enrolment contract between the server (broker) and a Pi joining it: the code an operator carries, the
 * join request and the identity it returns, the same identity as an offline bundle file. No I/O.
 *
 * A code is a random secret (what the server stores hashed, single use, short-lived) followed, when the
 * server is its own CA, by the first 80 bits of that CA's SHA-256: the Pi accepts the enrolment endpoint's
 * certificate only if it chains to a CA with that fingerprint, so the code alone is enough to trust the
 * server on first contact (as kubeadm's join token and CA hash do, in one string).
 */

/** Crockford's base32: no I, L, O, U, so a code read aloud or copied by hand has no look-alikes. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_SECRET_CHARS = 12;
const PIN_CHARS = 16;

function toBase32(bytes: Uint8Array, chars: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** The code's pin digits for a CA: base32 of the first 80 bits of its SHA-256. */
export function caPin(caSha256Hex: string): string {
  return toBase32(Buffer.from(caSha256Hex, 'hex'), PIN_CHARS);
}

/** `XXXX-XXXX-XXXX[-PPPP-PPPP-PPPP-PPPP]` from random bytes (≥ 8) and the CA's SHA-256, if pinned. */
export function formatCode(randomBytes: Uint8Array, caSha256Hex: string | undefined): string {
  const chars = toBase32(randomBytes, CODE_SECRET_CHARS) + (caSha256Hex ? caPin(caSha256Hex) : '');
  return chars.match(/.{1,4}/g)!.join('-');
}

export interface ParsedCode {
  /** What the server looks up (hashed). */
  secret: string;
  /** The CA fingerprint digits to check the server against; absent for a server with a public CA. */
  pin?: string;
}

/** Reads a code as typed: case, spaces and dashes do not matter, and O/I/L read as 0/1. */
export function parseCode(typed: string): ParsedCode | undefined {
  const chars = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (![...chars].every((c) => ALPHABET.includes(c))) return undefined;
  if (chars.length === CODE_SECRET_CHARS) return { secret: chars };
  if (chars.length === CODE_SECRET_CHARS + PIN_CHARS) return { secret: chars.slice(0, CODE_SECRET_CHARS), pin: chars.slice(CODE_SECRET_CHARS) };
  return undefined;
}

export const ENROLMENT_JOIN_PATH = '/enrolment/v1/join';

export const joinRequestSchema = z.object({ code: z.string().min(1).max(64) }).strict();

const pem = z.string().regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, 'a PEM certificate');

/** What a Pi needs to send: who it is, its MQTT password, where to connect, and the CA to pin. */
export const agentIdentitySchema = z
  .object({
    format: z.literal('trebuchet-agent-identity/1'),
    site: slug,
    agent: slug,
    username: z.string().min(1),
    password: z.string().min(16),
    /** The broker's URLs, best first: MQTT over TLS, then over WebSocket (for a network that lets only 443 out). */
    urls: z.array(z.string().regex(/^(mqtts|wss):\/\//, 'an mqtts:// or wss:// URL')).min(1),
    /** The CA to trust, and only it; absent: the server's certificate is from a public CA. */
    caPem: pem.optional(),
    issuedAt: z.iso.datetime(),
  })
  .strict();
export type AgentIdentity = z.infer<typeof agentIdentitySchema>;

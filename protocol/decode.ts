import type { z } from 'zod';
import { KINDS, type Kind, type MessageOf } from './kinds.js';
import { MAX_PAYLOAD_BYTES } from './messages.js';

/** One for every message: a decoder holds no state between calls without `stream`. */
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * The payload's size in bytes if it is over the limit. UTF-8 takes at most 3 bytes per UTF-16 unit, so a
 * short string (every batched event) is not encoded just to be measured.
 */
function oversize(payload: Uint8Array | string): number | undefined {
  if (typeof payload === 'string' && payload.length * 3 <= MAX_PAYLOAD_BYTES) return undefined;
  const size = typeof payload === 'string' ? utf8Encoder.encode(payload).byteLength : payload.byteLength;
  return size > MAX_PAYLOAD_BYTES ? size : undefined;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses and validates a payload; the reason names the first offending field. Works in Node and in browsers. */
export function decode<K extends Kind>(kind: K, payload: Uint8Array | string): DecodeResult<MessageOf<K>> {
  const size = oversize(payload);
  if (size !== undefined) return { ok: false, reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const result = (KINDS[kind].schema as z.ZodType).safeParse(json);
  if (!result.success) return { ok: false, reason: describeIssues(result.error) };
  return { ok: true, value: result.data as MessageOf<K> };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

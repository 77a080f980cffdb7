import type { z } from 'zod';
import { KINDS, type Kind, type MessageOf } from './kinds.js';

/** The largest payload any kind may have; ingest refuses bigger ones before parsing. */
export const MAX_PAYLOAD_BYTES = 512 * 1024;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses and validates a payload; the reason names the first offending field. Works in Node and in browsers. */
export function decode<K extends Kind>(kind: K, payload: Uint8Array | string): DecodeResult<MessageOf<K>> {
  const size = typeof payload === 'string' ? new TextEncoder().encode(payload).byteLength : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
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

import { z } from 'zod';

/** The options every polled line protocol takes, with its own defaults. */
export function polledLineOptions(defaults: { pollMs: number; replyTimeoutMs: number; maxLineBytes: number }) {
  return {
    /** Period of the weight requests; one request is outstanding at a time. */
    pollMs: z.number().int().min(20).max(60_000).default(defaults.pollMs),
    /** No reply to a request within this is an error; the next period asks again. */
    replyTimeoutMs: z.number().int().min(50).max(60_000).default(defaults.replyTimeoutMs),
    /** A reply longer than this without its end is garbage: dropped and reported. */
    maxLineBytes: z.number().int().min(32).max(4096).default(defaults.maxLineBytes),
  };
}

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { formatCode, parseCode } from '../../protocol/index.js';
import { readJsonFile, writePrivateFile } from '../../runtime/credentials-file.js';

/**
 * Pending enrolment codes, in dataDir/broker/enrolments.json (0600). A code is kept as its SHA-256 only:
 * a copy of the file lets nobody join. Its secret is 60 random bits and attempts are rate-limited, so an
 * unsalted hash is enough (it is a token, not a password a person chose).
 */
const entrySchema = z.object({
  hash: z.string(),
  site: z.string(),
  agent: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  usedAt: z.string().optional(),
  usedFrom: z.string().optional(),
});
const fileSchema = z.object({ codes: z.array(entrySchema) });
type Entry = z.infer<typeof entrySchema>;

/** Used and expired codes are kept this long, to tell a late user why theirs is refused, then forgotten. */
const KEEP_MS = 7 * 86_400_000;

const fileOf = (dataDir: string) => join(dataDir, 'broker', 'enrolments.json');
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

function read(dataDir: string): Entry[] {
  return readJsonFile(fileOf(dataDir), fileSchema)?.codes ?? [];
}

function write(dataDir: string, codes: Entry[], now: Date): void {
  const kept = codes.filter((c) => now.getTime() - Date.parse(c.usedAt ?? c.expiresAt) < KEEP_MS);
  writePrivateFile(fileOf(dataDir), `${JSON.stringify({ codes: kept }, null, 2)}\n`);
}

export interface NewCode {
  code: string;
  expiresAt: Date;
}

/** A new single-use code for an agent; an earlier pending code for the same agent stops working. */
export function createCode(dataDir: string, place: { site: string; agent: string }, ttlMinutes: number, caSha256: string | undefined, now = new Date()): NewCode {
  const code = formatCode(randomBytes(8), caSha256);
  const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000);
  const others = read(dataDir).filter((c) => c.usedAt || c.site !== place.site || c.agent !== place.agent);
  const entry: Entry = { hash: hashOf(parseCode(code)!.secret), ...place, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() };
  write(dataDir, [...others, entry], now);
  return { code, expiresAt };
}

/** Why a code is refused, in the words the Pi's operator reads. */
export class CodeRefused extends Error {}

/** Takes a code once: the agent it enrols, or why not. */
export function redeemCode(dataDir: string, typed: string, from: string, now = new Date()): { site: string; agent: string } {
  const parsed = parseCode(typed);
  if (!parsed) throw new CodeRefused('code illisible / malformed code: it has 12 or 28 characters, as printed by `trebuchet agent enroll`');
  const codes = read(dataDir);
  const entry = codes.find((c) => c.hash === hashOf(parsed.secret));
  if (!entry) throw new CodeRefused('code inconnu / unknown code: check it, or make a new one with `trebuchet agent enroll` on the server');
  if (entry.usedAt) throw new CodeRefused(`code déjà utilisé le ${entry.usedAt} / code already used on ${entry.usedAt}: a code enrols one Pi once; make a new one with \`trebuchet agent enroll\``);
  if (Date.parse(entry.expiresAt) <= now.getTime()) throw new CodeRefused(`code expiré le ${entry.expiresAt} / code expired on ${entry.expiresAt}: make a new one with \`trebuchet agent enroll\``);
  entry.usedAt = now.toISOString();
  entry.usedFrom = from;
  write(dataDir, codes, now);
  return { site: entry.site, agent: entry.agent };
}

/** A revoked agent's pending codes stop working with it. */
export function cancelCodes(dataDir: string, place: { site: string; agent: string }, now = new Date()): void {
  const codes = read(dataDir);
  const kept = codes.filter((c) => c.usedAt || c.site !== place.site || c.agent !== place.agent);
  if (kept.length !== codes.length) write(dataDir, kept, now);
}

/** Pending codes (not used, not expired), for `trebuchet agent list`. */
export function pendingCodes(dataDir: string, now = new Date()): { site: string; agent: string; expiresAt: string }[] {
  return read(dataDir)
    .filter((c) => !c.usedAt && Date.parse(c.expiresAt) > now.getTime())
    .map(({ site, agent, expiresAt }) => ({ site, agent, expiresAt }));
}

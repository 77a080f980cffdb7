import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from './durable-file.js';

/** The 0600 file in which generated secrets are handed to the local components that need them. */
const credentialsFileSchema = z.object({
  mqtt: z.record(z.string(), z.object({ username: z.string(), password: z.string() })),
});
export type CredentialsFile = z.infer<typeof credentialsFileSchema>;

export function readJsonFile<T>(path: string, schema: z.ZodType<T>): T | undefined {
  if (!existsSync(path)) return undefined;
  return schema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export function readCredentials(path: string): CredentialsFile | undefined {
  return readJsonFile(path, credentialsFileSchema);
}

/** Writes atomically with mode 0600 in a 0700 folder: secrets are never readable by other users, even briefly. */
export function writePrivateFile(path: string, content: string): void {
  writeFileAtomic(path, content, { mode: 0o600, dirMode: 0o700 });
}

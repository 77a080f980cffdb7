import { existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from './durable-file.js';

/** The 0600 file in which generated secrets are handed to the local components that need them. */
const credentialsFileSchema = z.object({
  mqtt: z.record(z.string(), z.object({ username: z.string(), password: z.string() })),
});
export type CredentialsFile = z.infer<typeof credentialsFileSchema>;

/** An InfluxDB user: the managed influxd's generated admin, or the operator's own for an InfluxDB elsewhere. */
const influxCredentialsFileSchema = z.object({
  influx: z.object({ username: z.string().min(1), password: z.string().min(1) }).strict(),
});
export type InfluxCredentials = z.infer<typeof influxCredentialsFileSchema>['influx'];

export function readJsonFile<T>(path: string, schema: z.ZodType<T>): T | undefined {
  if (!existsSync(path)) return undefined;
  return schema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export function readCredentials(path: string): CredentialsFile | undefined {
  return readJsonFile(path, credentialsFileSchema);
}

/**
 * Refuses a secret file other users may read, as ssh does with a private key: a secret that leaked there
 * must be changed, and saying so at start beats running on with it.
 */
export function refuseIfReadableByOthers(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(
      `${path} est lisible par d'autres utilisateurs (mode ${mode.toString(8)}) : chmod 600 ${path} / ${path} is readable by other users (mode ${mode.toString(8)}): chmod 600 ${path}`,
    );
  }
}

export function readInfluxCredentials(path: string): InfluxCredentials | undefined {
  if (!existsSync(path)) return undefined;
  refuseIfReadableByOthers(path);
  return readJsonFile(path, influxCredentialsFileSchema)?.influx;
}

export function writeInfluxCredentials(path: string, credentials: InfluxCredentials): void {
  writePrivateFile(path, `${JSON.stringify({ influx: credentials }, null, 2)}\n`);
}

/** Writes atomically with mode 0600 in a 0700 folder: secrets are never readable by other users, even briefly. */
export function writePrivateFile(path: string, content: string): void {
  writeFileAtomic(path, content, { mode: 0o600, dirMode: 0o700 });
}

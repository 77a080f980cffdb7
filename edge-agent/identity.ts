import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../runtime/credentials-file.js';
import type { Clock } from './clock.js';

const identitySchema = z.object({ installedAt: z.iso.datetime({ offset: true }) });

/**
 * When this agent first ran with a synchronised clock. Ingest refuses events said to be captured before
 * it (a Pi that booted without network believes it is 1970). Recorded only once the clock is trusted.
 */
export async function installedAt(dataDir: string, clock: Clock): Promise<string | undefined> {
  const path = join(dataDir, 'identity.json');
  try {
    return identitySchema.parse(JSON.parse(await readFile(path, 'utf8'))).installedAt;
  } catch {
    if (!clock.synced()) return undefined;
    const at = new Date(clock.now()).toISOString();
    writePrivateFile(path, `${JSON.stringify({ installedAt: at })}\n`);
    return at;
  }
}

import { z } from 'zod';
import { readJsonFile, writePrivateFile } from '../../runtime/credentials-file.js';

/** Session id → the time (ms) after which no cookie of that session can be valid anyway. */
const revokedSchema = z.object({ revoked: z.record(z.string(), z.number().int()) }).strict();

/**
 * The sessions signed out before their end: a cookie copied before « Se déconnecter » is refused after it,
 * across restarts too. Kept in a 0600 file beside the users file; an entry leaves once every cookie of its
 * session has expired, so the file stays as small as the week's sign-outs.
 */
export class RevokedSessions {
  private readonly revoked: Map<string, number>;

  constructor(private readonly path: string) {
    let file: z.infer<typeof revokedSchema> | undefined;
    try {
      file = readJsonFile(path, revokedSchema);
    } catch (err) {
      // Starting without it would let signed-out cookies in again: the fix is the operator's.
      throw new Error(
        `${path}: unreadable list of signed-out sessions (${(err as Error).message}); remove it together with the session secret beside it (everyone signs in again)`,
      );
    }
    this.revoked = new Map(Object.entries(file?.revoked ?? {}));
  }

  has(id: string): boolean {
    return this.revoked.has(id);
  }

  /** Refuses the session's cookies from now on; `until` is when the last of them would have expired. */
  revoke(id: string, until: number): void {
    this.revoked.set(id, until);
    const now = Date.now();
    for (const [other, end] of this.revoked) if (end < now) this.revoked.delete(other);
    writePrivateFile(this.path, `${JSON.stringify({ revoked: Object.fromEntries(this.revoked) })}\n`);
  }
}

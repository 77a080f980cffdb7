import type { Logger } from '../../runtime/log.js';
import { RevokedSessions } from './revoked-sessions.js';
import { revokedSessionsPath, TTL_MS, type Session } from './session.js';
import { UsersFile, type User } from './users-file.js';

/**
 * The accounts as the running server sees them, shared by signing in (public) and the session check (the
 * signed-in context): the users file, re-read whenever it changes, the sessions signed out, and whether a
 * session still holds.
 */
export class Accounts {
  readonly file: UsersFile;
  private readonly revoked: RevokedSessions;
  private reported: unknown;

  constructor(
    usersFile: string,
    private readonly log: Logger,
  ) {
    this.file = new UsersFile(usersFile);
    this.revoked = new RevokedSessions(revokedSessionsPath(usersFile));
  }

  /** The accounts now, or undefined when the file is not valid (logged once per version of the file). */
  current(): readonly User[] | undefined {
    try {
      return this.file.list();
    } catch (err) {
      if (err !== this.reported) this.log.error({ err: (err as Error).message }, 'the dashboards users file is not valid: nobody can sign in');
      this.reported = err;
      return undefined;
    }
  }

  /** The account a session belongs to, if it has not expired nor been signed out, and the account is unchanged since it was opened. */
  of(session: Session): User | undefined {
    const user = session.e > Date.now() && !this.revoked.has(session.i) ? this.current()?.find((u) => u.name === session.n) : undefined;
    return user && user.generation === session.g && user.role === session.r ? user : undefined;
  }

  /** Signs a session out for good: every copy of its cookie, renewed or not, is refused from now on. */
  signOut(session: Session): void {
    // A copy renewed up to now ends at most a TTL from now.
    this.revoked.revoke(session.i, Date.now() + TTL_MS);
  }
}

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../runtime/log.js';
import { credentialsPaths, readUsers, type BrokerUser } from './credentials.js';

/** A safety net under inotify, which some file systems (network, some overlays) do not carry. */
const POLL_MS = 2000;

/**
 * The users' content, whatever the order of their keys: those ensureUsers made at first start have theirs in
 * creation order, the same read back from the file have the schema's, and that is no change.
 */
function fingerprint(users: Map<string, BrokerUser>): string {
  const sorted = (user: BrokerUser) => Object.fromEntries(Object.entries(user).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify([...users].map(([name, user]) => [name, sorted(user)]));
}

/**
 * The broker's users, kept current while it runs: `trebuchet agent enroll` and `revoke` (other processes)
 * and a join through the enrolment endpoint write users.json, and a revocation must take effect on live
 * connections at once, not at the next restart.
 */
export class UsersWatch {
  private users: Map<string, BrokerUser>;
  private readonly watcher: FSWatcher;
  private readonly poll: NodeJS.Timeout;
  private readonly file: string;
  private lastText = '';

  constructor(
    private readonly dataDir: string,
    initial: Map<string, BrokerUser>,
    private readonly onChange: (users: Map<string, BrokerUser>, previous: Map<string, BrokerUser>) => void,
    private readonly log: Logger,
  ) {
    this.users = initial;
    this.file = credentialsPaths(dataDir).users;
    this.lastText = fingerprint(initial);
    // The folder, not the file: every write is an atomic rename, which replaces the file a watch would hold.
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(this.file)) this.reload();
    });
    this.watcher.on('error', (err) => log.warn({ err: err.message }, 'users.json can no longer be watched; changes are read every 2 s'));
    this.poll = setInterval(() => this.reload(), POLL_MS);
    this.poll.unref();
  }

  get(username: string): BrokerUser | undefined {
    return this.users.get(username);
  }

  /** Reads the file again; a file half-written or broken keeps the users as they were (and says so). */
  reload(): void {
    let next: Map<string, BrokerUser>;
    try {
      next = new Map(Object.entries(readUsers(this.dataDir)));
    } catch (err) {
      this.log.error({ file: this.file, err: (err as Error).message }, 'users.json cannot be read: the broker keeps the users it had');
      return;
    }
    const text = fingerprint(next);
    if (text === this.lastText) return;
    this.lastText = text;
    const previous = this.users;
    this.users = next;
    this.onChange(next, previous);
  }

  close(): void {
    this.watcher.close();
    clearInterval(this.poll);
  }
}

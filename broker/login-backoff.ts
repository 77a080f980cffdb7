/**
 * Slows password guessing: after a few failed logins from one address, or for one username, that address
 * or user is refused at once (no password check, no hashing) for a delay that doubles on each further
 * failure. A success clears both. A user at an address it already logged in from is exempt from both, so
 * that someone guessing elsewhere, or at the same address, cannot keep that user itself out.
 */
export interface BackoffConfig {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

interface Failures {
  count: number;
  last: number;
  until: number;
}

/** Keys tracked at most (addresses and usernames), so that a guesser with many names costs bounded memory. */
const MAX_TRACKED = 10_000;
/** Addresses remembered per user as having logged in. */
const MAX_KNOWN_ADDRESSES = 32;

export class LoginBackoff {
  private readonly failures = new Map<string, Failures>();
  private readonly knownAddresses = new Map<string, Set<string>>();

  constructor(
    private readonly config: BackoffConfig,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(address: string, username: string): string[] {
    const known = this.knownAddresses.get(username)?.has(address) ?? false;
    return known ? [`address ${address}`] : [`address ${address}`, `user ${username}`];
  }

  /**
   * How long this login is still refused, in ms (0: it may try). A user at an address it logged in from is
   * never held back: on `trebuchet up` every component logs in from 127.0.0.1, and shops' agents can share a
   * NAT, so a guesser there must not keep ingest or an agent out. Its failures still count for the others.
   */
  refusedForMs(address: string, username: string): number {
    if (this.knownAddresses.get(username)?.has(address)) return 0;
    const now = this.now();
    return Math.max(0, ...this.keys(address, username).map((k) => (this.failures.get(k)?.until ?? now) - now));
  }

  /** Counts a failure; returns the delay it starts, if it starts one. */
  failed(address: string, username: string): number | undefined {
    const now = this.now();
    let started: number | undefined;
    for (const key of this.keys(address, username)) {
      const previous = this.failures.get(key);
      // A quiet period as long as the longest delay forgives past failures.
      const count = previous && now - previous.last <= this.config.maxDelayMs ? previous.count + 1 : 1;
      const beyond = count - this.config.freeFailures;
      const delay = beyond > 0 ? Math.min(this.config.maxDelayMs, this.config.baseDelayMs * 2 ** (beyond - 1)) : 0;
      if (delay > 0) started = Math.max(started ?? 0, delay);
      // Re-inserted so that the Map's order is least recently failed first, the first to forget.
      this.failures.delete(key);
      this.failures.set(key, { count, last: now, until: now + delay });
      if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
    }
    return started;
  }

  succeeded(address: string, username: string): void {
    this.failures.delete(`address ${address}`);
    this.failures.delete(`user ${username}`);
    const known = this.knownAddresses.get(username) ?? new Set<string>();
    known.add(address);
    if (known.size > MAX_KNOWN_ADDRESSES) known.delete(known.values().next().value!);
    this.knownAddresses.set(username, known);
  }
}

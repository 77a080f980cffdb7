/** Connections within this window that mean ingest is being knocked off rather than reconnecting after an outage. */
const WINDOW_MS = 60_000;
const TOO_MANY = 5;

/**
 * Notices a connection that keeps being replaced: Mosquitto gives each client its username as id, so two
 * ingest instances on one user take the connection from each other every second, and each only logs a
 * reconnect. Says so once a minute while it lasts.
 */
export class ReconnectWatch {
  private times: number[] = [];
  private lastWarnAt = -Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  get count(): number {
    return this.times.length;
  }

  /** Records a connection; true when it is time to warn. */
  connected(): boolean {
    const t = this.now();
    this.times = [...this.times.filter((x) => t - x < WINDOW_MS), t];
    if (this.times.length < TOO_MANY || t - this.lastWarnAt < WINDOW_MS) return false;
    this.lastWarnAt = t;
    return true;
  }
}

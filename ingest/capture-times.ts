import type { OncePerKind } from '../runtime/log.js';
import type { IngestConfig } from './config.js';

/**
 * Whether a capture time can be true: not ahead of ingest's clock, not before the agent was installed
 * (learnt from its retained status), not before the configured earliest date (a Pi that booted in 1970).
 */
export class CaptureTimes {
  /** Each agent's install date: nothing it captured can be older. */
  private readonly installedAt = new Map<string, number>();
  private readonly earliest: number;

  constructor(
    private readonly config: Pick<IngestConfig, 'maxFutureMs' | 'earliestCaptureAt'>,
    private readonly rejects: OncePerKind,
  ) {
    this.earliest = Date.parse(config.earliestCaptureAt);
  }

  installed(site: string, agent: string, installedAt: string): void {
    // An install date in the future would refuse every event the agent sends (found by the chaos suite,
    // with a forged status): ignored. Of the plausible ones, the earliest is kept.
    const t = Date.parse(installedAt);
    const key = `${site}/${agent}`;
    if (t > Date.now() + this.config.maxFutureMs) this.rejects.report('implausible-install-date', { agent: key, installedAt }, 'status ignored');
    else this.installedAt.set(key, Math.min(t, this.installedAt.get(key) ?? Infinity));
  }

  /** Why a capture time cannot be true, or undefined when it can. For a span, what must follow the install is its end. */
  implausible(at: string, site: string, agent: string, spanMs = 0): string | undefined {
    const t = Date.parse(at);
    const { maxFutureMs, earliestCaptureAt } = this.config;
    if (t > Date.now() + maxFutureMs) return `captured at ${at}, ahead of ingest's clock (${new Date().toISOString()}) by more than ${maxFutureMs / 1000} s`;
    const installed = this.installedAt.get(`${site}/${agent}`);
    if (installed !== undefined && t + spanMs <= installed) return `captured at ${at}, before the agent was installed (${new Date(installed).toISOString()})`;
    if (t < this.earliest) return `captured at ${at}, before ${earliestCaptureAt}: the agent's clock was wrong`;
    return undefined;
  }
}

import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type prettyFactory from 'pino-pretty';

export type { Logger };

/**
 * One logger per process; components get a child with their name. JSON lines for journald and log
 * shippers; readable lines when a person watches a terminal (set TREBUCHET_LOG_FORMAT=json to force JSON).
 */
export function createLogger(level = process.env.TREBUCHET_LOG_LEVEL ?? 'info', options: { stderr?: boolean } = {}): Logger {
  // A one-shot command logs its progress on stderr: its stdout is its outcome, never interleaved with a log
  // line (pino writes asynchronously, so a line logged just before the outcome could come out after it).
  const out = options.stderr ? process.stderr : process.stdout;
  const human = out.isTTY && process.env.TREBUCHET_LOG_FORMAT !== 'json';
  if (!human) return pino({ level, base: { pid: process.pid } }, options.stderr ? pino.destination(2) : undefined);
  // Loaded only for a person at a terminal: a service on a Pi does not pay its ~10 MiB.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof prettyFactory;
  return pino({ level, base: undefined }, pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: options.stderr ? 2 : 1 }));
}

/** Logs each distinct kind of problem once, then counts silently: a flood of garbage must not flood the log. */
export class OncePerKind {
  private readonly counts = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  report(kind: string, detail: Record<string, unknown>, msg: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n === 1) this.log.warn({ kind, ...detail }, `${msg} (further ones of this kind are counted, not logged)`);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
}

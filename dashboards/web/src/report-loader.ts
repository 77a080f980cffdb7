import { getJson } from './api.js';
import { clearProblems, reportProblem } from './error-banner.js';

const RETRY_MS = 15_000;

/**
 * Fetches a page's report and keeps the last one drawn. Only the answer to the latest request counts (a
 * slow answer for a range left since must not overwrite the new one); a failure shows the server's message
 * in the banner and is retried by itself. While a request runs, the page is `aria-busy`: the styles dim
 * slow loads, calmly, instead of spinning.
 */
export class ReportLoader<R> {
  /** The report drawn, with the URL it came from (its CSV links add to it). */
  report: { url: string; data: R } | undefined;
  private url = '';
  private seq = 0;
  private retry: number | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly source: string,
    private readonly drawn: () => void,
  ) {}

  /** Fetches `url` unless it is the report already asked for. */
  show(url: string): void {
    if (url === this.url) return;
    this.url = url;
    void this.load();
  }

  /** Fetches the current report again (new weighings, new visitors). */
  refresh(): void {
    if (this.url) void this.load();
  }

  private async load(): Promise<void> {
    const mine = ++this.seq;
    const wanted = this.url;
    window.clearTimeout(this.retry);
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await getJson<R>(wanted);
      if (mine !== this.seq) return;
      this.report = { url: wanted, data };
      reportProblem(this.source, undefined);
    } catch (err) {
      if (mine !== this.seq) return;
      reportProblem(this.source, (err as Error).message);
      // Figures of another range must not pass for this one's.
      if (this.report?.url !== wanted) this.report = undefined;
      this.retry = window.setTimeout(() => void this.load(), RETRY_MS);
    }
    this.root.removeAttribute('aria-busy');
    this.drawn();
  }

  dispose(): void {
    this.seq++;
    window.clearTimeout(this.retry);
    clearProblems(this.source);
  }
}

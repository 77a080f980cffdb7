import { $ } from '../../../web-kit/dom.js';
import { onLangChange, t } from './app.js';

/**
 * The banner under the top bar that says why figures are missing, in the server's words. Each part of the
 * page reports under its own name, so that one part's success does not hide another's failure.
 */
const problems = new Map<string, string>();

function render(): void {
  const banner = $('[data-testid="error-banner"]');
  const messages = [...new Set(problems.values())];
  banner.hidden = messages.length === 0;
  banner.textContent = messages.map((detail) => t('loadError', { detail })).join(' ');
}

/** Shows `message` for `source`, or clears what `source` said with undefined. */
export function reportProblem(source: string, message: string | undefined): void {
  if (message === undefined ? !problems.delete(source) : problems.get(source) === message) return;
  if (message !== undefined) problems.set(source, message);
  render();
}

/** Forgets a page's problems when it is left. */
export function clearProblems(prefix: string): void {
  for (const source of [...problems.keys()]) if (source.startsWith(prefix)) problems.delete(source);
  render();
}

onLangChange(render);

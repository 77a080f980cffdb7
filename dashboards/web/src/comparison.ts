import { h } from '../../../web-kit/dom.js';
import { change } from './format.js';

/** « +12,5 % » in green, « −3,0 % » in red, nothing when there is nothing to compare with. */
export function changeBadge(now: number, before: number, testid?: string): HTMLElement {
  const c = change(now, before);
  return h('span', { class: `change change-${c?.direction ?? 'none'}`, 'data-testid': testid }, c?.text ?? '—');
}

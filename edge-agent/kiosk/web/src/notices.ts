import type { KioskNotice } from '../../kiosk-types.js';
import type { PageRefusal } from './api.js';
import { h } from '../../../../web-kit/dom.js';
import { isMessageKey, type MessageKey } from './i18n.js';
import { formatKg, labelOf, linesText, scales, t } from './store.js';

/** How long a notice stays on screen. */
const NOTICE_MS = 6_000;

export type NoticeKind = 'refusal' | 'success';

const SUCCESSES = new Set<string>(['line-taken', 'line-voided', 'bon-closed', 'bon-abandoned']);

type Params = Record<string, string | number>;

/** The params as words: kilograms with the page's decimal comma, categories by their label. */
function wordedParams(p: Params): Params {
  const out: Params = { ...p };
  for (const k of ['kg', 'minKg', 'maxKg', 'tareKg'] as const) {
    const v = p[k];
    if (typeof v === 'number') out[k] = formatKg(v, 0, 3);
  }
  if (typeof p.category === 'string') out.category = labelOf('categories', p.category);
  if (typeof p.lines === 'number') out.lines = linesText(p.lines);
  if (typeof p.field === 'string') out.field = isMessageKey(`field.${p.field}`) ? t(`field.${p.field}` as MessageKey) : p.field;
  return out;
}

/** Whether the scale's load is already off (a no-category notice then says it was not weighed). */
function loadRemoved(scaleId: string | undefined): boolean {
  const s = scales().find((x) => x.id === scaleId);
  return !!s && s.live.kg !== null && s.live.kg < s.minKg;
}

/** The sentence for a notice or refusal code, in the page's language; an unknown code says the agent's reason. */
export function wordNotice(code: string, params: Params = {}, message = '', scale?: string): string {
  const p = wordedParams(params);
  switch (code) {
    case 'bon-not-open':
      return t('notice.bon-not-open');
    case 'bon-already-open':
      return t('notice.bon-already-open');
    case 'no-category':
      return t(loadRemoved(scale) ? 'notice.no-category.removed' : 'notice.no-category');
    case 'under-tare':
      return t(typeof params.kg === 'number' && typeof params.tareKg === 'number' ? 'notice.under-tare.detail' : 'notice.under-tare', p);
    case 'missing-field':
      if (params.field === 'district') return t('notice.missing-field.district');
      return params.field ? t('notice.missing-field.field', p) : `${t('notice.missing-field')}${message ? ` (${message})` : ''}`;
    case 'line-taken':
      return t(params.source === 'manual' ? 'notice.line-taken.manual' : 'notice.line-taken', p);
    case 'http':
      return t('notice.http', { status: params.status ?? '?', message });
  }
  const key = `notice.${code}`;
  return isMessageKey(key) ? t(key, p) : t('notice.other', { message: message || code });
}

let hideTimer: number | undefined;

/** Shows a notice in the banner for a few seconds; a newer one replaces it. Tapping it hides it. */
export function showNotice(code: string, kind: NoticeKind, params: Params = {}, message = '', scale?: string): void {
  const slot = document.getElementById('notice-slot');
  if (!slot) return;
  let text = wordNotice(code, params, message, scale);
  if (scale && scales().length > 1) text = t('notice.scale', { id: scale, text });
  const banner = h('div', { class: `notice notice-${kind}`, 'data-testid': 'notice', 'data-code': code, 'data-kind': kind, role: kind === 'refusal' ? 'alert' : 'status' }, h('span', { class: 'notice-icon', 'aria-hidden': 'true' }, kind === 'refusal' ? '!' : '✓'), h('span', { class: 'notice-text' }, text));
  banner.addEventListener('click', hideNotice);
  slot.replaceChildren(banner);
  window.clearTimeout(hideTimer);
  hideTimer = window.setTimeout(hideNotice, NOTICE_MS);
}

export function hideNotice(): void {
  window.clearTimeout(hideTimer);
  document.getElementById('notice-slot')?.replaceChildren();
}

/** A notice pushed by the agent (SSE `notice`). */
export function showAgentNotice(n: KioskNotice): void {
  showNotice(n.code, SUCCESSES.has(n.code) ? 'success' : 'refusal', n.params, '', n.scale);
}

/** A refusal answered to one of this screen's actions. */
export function showRefusal(r: PageRefusal, scale?: string): void {
  showNotice(r.error, 'refusal', r.params, r.message, scale);
}

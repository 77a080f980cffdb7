import { h } from '../../../web-kit/dom.js';
import { t, timeZoneOf } from './app.js';
import { clock, kg } from './format.js';
import type { MessageKey } from './i18n.js';
import { effectiveState, liveScales } from './live-stream.js';

/**
 * The live weight of each scale of the shown sites, as its display reads. Cards are updated in place, never
 * rebuilt: weights arrive up to five times a second, and a rebuild would restart the CSS transitions.
 */
export class LiveScales {
  private readonly cards = new Map<string, HTMLElement>();

  constructor(readonly el: HTMLElement) {}

  render(sites: readonly string[]): void {
    const scales = liveScales()
      .filter((s) => sites.includes(s.site))
      .sort((a, b) => `${a.site}/${a.agent}/${a.device}`.localeCompare(`${b.site}/${b.agent}/${b.device}`));
    if (scales.length === 0) {
      this.cards.clear();
      this.el.replaceChildren(h('div', { class: 'empty-state' }, h('p', {}, t('noScale')), h('p', { class: 'hint' }, t('noScaleHint'))));
      return;
    }
    const shown = new Set<string>();
    const ordered = scales.map((s) => {
      const key = `${s.site}/${s.agent}/${s.device}`;
      shown.add(key);
      let card = this.cards.get(key);
      if (!card) {
        card = h(
          'article',
          { class: 'scale', 'data-testid': 'live-weight', 'data-device': s.device, 'data-agent': s.agent, 'data-site': s.site },
          h('div', { class: 'scale-head' }, h('span', { class: 'scale-name' }, s.device), h('span', { class: 'badge', 'data-testid': 'live-state' })),
          h('div', { class: 'scale-value' }, h('span', { class: 'value', 'data-testid': 'live-weight-value' }), h('span', { class: 'unit' }, 'kg')),
          h('div', { class: 'scale-meta' }),
        );
        this.cards.set(key, card);
      }
      const state = effectiveState(s);
      card.dataset.state = state;
      card.querySelector('.badge')!.textContent = t(`state.${state}` as MessageKey);
      card.querySelector('.value')!.textContent = s.kg === null ? '—' : kg(s.kg, 2);
      card.querySelector('.scale-meta')!.textContent = `${s.agent} · ${t('since', { time: clock(new Date(s.t), timeZoneOf(s.site), true) })}`;
      return card;
    });
    for (const key of [...this.cards.keys()]) if (!shown.has(key)) this.cards.delete(key);
    if (ordered.length !== this.el.children.length || ordered.some((card, i) => this.el.children[i] !== card)) this.el.replaceChildren(...ordered);
  }
}

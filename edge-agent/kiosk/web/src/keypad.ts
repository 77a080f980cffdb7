import { parseTypedKg } from '../../../../protocol/units.js';
import { act } from './actions.js';
import { api } from './api.js';
import { button, h } from '../../../../web-kit/dom.js';
import { openModal, sheetHead, type Modal } from './modal.js';
import { wordNotice } from './notices.js';
import { active, app, by, categoryColor, formatKg, label, scales, t, targetScale } from './store.js';

/** What may be typed at most: the agent judges the rest (« 1,2,3 » is its to refuse, with its words). */
const MAX_TYPED = 12;

/**
 * « Saisir un poids »: a big keypad for a weight the scale cannot give, for the target scale, with the
 * category (and container) to choose. The text goes to the agent as typed; its refusal is shown here.
 */
export function openKeypad(): void {
  const bon = app.kiosk?.bon;
  const scale = targetScale();
  const taxonomy = app.kiosk?.taxonomy;
  if (!bon || !scale || !taxonomy) return;
  const k = { typed: '', category: scale.armedCategory, container: scale.container ?? '', error: '' };
  const containers = active(taxonomy.containers);

  const press = (key: string) => {
    if (key === 'erase') k.typed = k.typed.slice(0, -1);
    else if (k.typed.length < MAX_TYPED) k.typed += key;
    k.error = '';
    modal.repaint();
  };

  const submit = async () => {
    if (!k.category || !k.typed) return;
    const body = { scale: scale.id, category: k.category, typed: k.typed, ...(k.container ? { container: k.container } : {}), ...by() };
    // The agent streams no `state` after a typed line (only its notice): the screen fetches it.
    const r = await act('typed-line', () => api.typeLine(bon.bonId, body), { scale: scale.id });
    if (!r) return;
    if (r.ok) return modal.close();
    k.error = wordNotice(r.refusal.error, r.refusal.params, r.refusal.message, scale.id);
    modal.repaint();
  };

  /** What the typed text gives, net of the container, when it reads as a weight. */
  const preview = (): string => {
    if (!k.typed) return t('typed.needWeight');
    const parsed = parseTypedKg(k.typed);
    if (!parsed.ok) return '';
    const tare = containers.find((c) => c.id === k.container)?.tareKg ?? 0;
    return tare ? t('typed.net', { kg: formatKg(Math.round((parsed.kg - tare) * 1000) / 1000, 0, 3) }) : '';
  };

  const keys = (): HTMLElement => {
    const key = (testid: string, text: string, value: string, cls = '') => button({ class: `btn key ${cls}`, 'data-testid': testid }, text, () => press(value));
    const digits = ['7', '8', '9', '4', '5', '6', '1', '2', '3'].map((d) => key(`key-${d}`, d, d));
    const comma = app.lang === 'fr' ? ',' : '.';
    return h('div', { class: 'keys' }, ...digits, key('key-comma', comma, comma), key('key-0', '0', '0'), key('key-erase', '⌫', 'erase', 'key-erase'));
  };

  const categoryChoice = (): HTMLElement =>
    h(
      'div',
      { class: 'typed-categories' },
      ...active(taxonomy.categories).map((c) => {
        const b = button({ class: 'btn btn-category btn-category-small', 'data-testid': `typed-category-${c.id}`, 'aria-pressed': String(c.id === k.category) }, label(c.label, c.id), () => {
          k.category = c.id;
          k.error = '';
          modal.repaint();
        });
        b.style.setProperty('--cat', categoryColor(c.id));
        return b;
      }),
    );

  const containerChoice = (): HTMLElement[] =>
    containers.length
      ? [
          h('h3', { class: 'sheet-section' }, t('typed.container')),
          h(
            'div',
            { class: 'typed-containers' },
            ...[{ id: '', text: t('container.none') }, ...containers.map((c) => ({ id: c.id, text: t('container.option', { label: label(c.label, c.id), kg: formatKg(c.tareKg, 0, 3) }) }))].map((c) =>
              button({ class: 'btn btn-choice btn-small-choice', 'data-testid': c.id ? `typed-container-${c.id}` : 'typed-container-none', 'aria-pressed': String(c.id === k.container) }, c.text, () => {
                k.container = c.id;
                modal.repaint();
              }),
            ),
          ),
        ]
      : [];

  const modal: Modal = openModal({
    testid: 'keypad',
    wide: true,
    closeWhen: (s) => s.bon?.bonId !== bon.bonId,
    paint: () => {
      const ready = !!k.category && !!k.typed;
      return [
        sheetHead(t('typed.title'), () => modal, scales().length > 1 ? t('typed.scale', { id: scale.id }) : undefined),
        h(
          'div',
          { class: 'keypad' },
          h(
            'div',
            { class: 'keypad-left' },
            h('div', { class: 'typed-display' }, h('span', { class: 'typed-value', 'data-testid': 'typed-value' }, k.typed), h('span', { class: 'typed-unit' }, 'kg')),
            h('p', { class: 'typed-preview' }, preview()),
            ...(k.error ? [h('p', { class: 'typed-error', 'data-testid': 'typed-error', role: 'alert' }, k.error)] : []),
            keys(),
          ),
          h(
            'div',
            { class: 'keypad-right' },
            h('h3', { class: 'sheet-section' }, t('typed.category')),
            categoryChoice(),
            ...containerChoice(),
            button(
              { class: 'btn btn-huge btn-primary typed-submit', 'data-testid': 'typed-submit', ...(ready ? {} : { disabled: '' }) },
              ready ? t('typed.submit') : t(k.category ? 'typed.needWeight' : 'typed.needCategory'),
              () => void submit(),
            ),
          ),
        ),
      ];
    },
  });
}

import { h } from '../../../web-kit/dom.js';
import { app, t } from './app.js';
import { isDate, readDate } from './dates.js';

/** A date as the page's language writes it: « 10/03/2025 » in French, 2025-03-10 (unambiguous) in English. */
export function writeDate(date: string): string {
  if (app.lang !== 'fr') return date;
  const [y, m, d] = date.split('-');
  return `${d}/${m}/${y}`;
}

export interface DateField {
  el: HTMLElement;
  /** Shows `date`, unless someone is typing another one in the field (what they typed is theirs) and not `force`. */
  set(date: string, force?: boolean): void;
}

/**
 * A date field written in the page's language, with the browser's calendar a click away. Not a bare
 * `<input type=date>`: Chromium writes that one in the browser's own locale, so a manager whose kiosk is set
 * to English reads 03/10/2025 for 10 March.
 */
export function dateField(o: { value: string; label: string; testid: string; onChange: (date: string) => void }): DateField {
  let shown = o.value;
  const text = h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: writeDate(shown),
    placeholder: t('range.datePlaceholder'),
    size: '10',
    'data-testid': o.testid,
    'aria-label': o.label,
  });
  const calendar = h('input', { type: 'date', value: shown, tabindex: '-1', 'aria-hidden': 'true', class: 'date-field-native' });
  const open = h('button', { type: 'button', class: 'date-field-open', 'aria-label': t('range.calendar', { field: o.label }), 'data-testid': `${o.testid}-calendar` });
  const show = (date: string) => {
    shown = date;
    text.value = writeDate(date);
    text.removeAttribute('aria-invalid');
    text.title = '';
  };
  const accept = (date: string) => {
    show(date);
    o.onChange(date);
  };
  text.addEventListener('change', () => {
    const date = readDate(text.value);
    if (date) return accept(date);
    text.setAttribute('aria-invalid', 'true');
    text.title = t('range.badDate', { example: writeDate('2025-03-10') });
  });
  open.addEventListener('click', () => {
    calendar.value = readDate(text.value) ?? shown;
    try {
      calendar.showPicker();
    } catch {
      text.focus(); // a browser without showPicker(): the date is typed
    }
  });
  calendar.addEventListener('change', () => {
    if (isDate(calendar.value)) accept(calendar.value);
  });
  return {
    el: h('span', { class: 'date-field' }, text, open, calendar),
    set(date, force = false) {
      // A field holding something else than what it last showed is being typed in (not yet confirmed).
      if (!force && text.value !== writeDate(shown)) return;
      show(date);
    },
  };
}

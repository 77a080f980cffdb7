import { h } from '../../../web-kit/dom.js';
import { app, t } from './app.js';
import { isDate, readDate } from './dates.js';

/** A date as the page's language writes it: « 10/03/2025 » in French, 2025-03-10 (unambiguous) in English. */
export function writeDate(date: string): string {
  if (app.lang !== 'fr') return date;
  const [y, m, d] = date.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * A date field written in the page's language, with the browser's calendar a click away. Not a bare
 * `<input type=date>`: Chromium writes that one in the browser's own locale, so a manager whose kiosk is set
 * to English reads 03/10/2025 for 10 March.
 */
export function dateField(o: { value: string; label: string; testid: string; onChange: (date: string) => void }): HTMLElement {
  const text = h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: writeDate(o.value),
    placeholder: t('range.datePlaceholder'),
    size: '10',
    'data-testid': o.testid,
    'aria-label': o.label,
  });
  const calendar = h('input', { type: 'date', value: o.value, tabindex: '-1', 'aria-hidden': 'true', class: 'date-field-native' });
  const open = h('button', { type: 'button', class: 'date-field-open', 'aria-label': t('range.calendar', { field: o.label }), 'data-testid': `${o.testid}-calendar` });
  const accept = (date: string) => {
    text.value = writeDate(date);
    text.removeAttribute('aria-invalid');
    text.title = '';
    o.onChange(date);
  };
  text.addEventListener('change', () => {
    const date = readDate(text.value);
    if (date) return accept(date);
    text.setAttribute('aria-invalid', 'true');
    text.title = t('range.badDate', { example: writeDate('2025-03-10') });
  });
  open.addEventListener('click', () => {
    calendar.value = readDate(text.value) ?? o.value;
    try {
      calendar.showPicker();
    } catch {
      text.focus(); // a browser without showPicker(): the date is typed
    }
  });
  calendar.addEventListener('change', () => {
    if (isDate(calendar.value)) accept(calendar.value);
  });
  return h('span', { class: 'date-field' }, text, open, calendar);
}

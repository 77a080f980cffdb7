import { h } from '../../../web-kit/dom.js';
import type { Bucket } from '../../reports/report-types.js';
import { t } from './app.js';
import { dateField } from './date-field.js';
import { PRESETS, presetOf, presetRange, type DateRange, type Preset } from './dates.js';
import type { MessageKey } from './i18n.js';
import { setParams } from './router.js';

/** The bucket a preset reads best in: days for a week or a month, months for a year. */
const PRESET_BUCKET: Record<Preset, Bucket> = { today: 'day', week: 'day', month: 'day', year: 'month', lastYear: 'month' };

/**
 * The time range of a view: presets (« Aujourd'hui », « Cette semaine » from Monday, « Ce mois »,
 * « Cette année », « L'an dernier ») or two dates. It writes the range into the address; the page follows.
 */
export function rangePicker(range: DateRange, today: string, opts: { withBucket: boolean }): HTMLElement {
  const active = presetOf(range, today);
  const choose = (preset: Preset) => setParams({ ...presetRange(preset, today), ...(opts.withBucket ? { bucket: PRESET_BUCKET[preset] } : {}) });

  const dates = { ...range };
  const applyDates = () => {
    // Dates typed the wrong way round are meant as a range all the same.
    const [a, b] = dates.from <= dates.to ? [dates.from, dates.to] : [dates.to, dates.from];
    setParams({ from: a, to: b });
  };
  const field = (end: 'from' | 'to') =>
    dateField({
      value: range[end],
      label: t(`range.${end}`),
      testid: `range-${end}`,
      onChange: (date) => {
        dates[end] = date;
        applyDates();
      },
    });
  const from = field('from');
  const custom = h('span', { class: 'range-custom', 'data-testid': 'range-custom' }, from, h('span', { 'aria-hidden': 'true' }, '→'), field('to'));
  custom.hidden = active !== undefined;

  const buttons = PRESETS.map((preset) => {
    const button = h('button', { type: 'button', 'data-preset': preset, 'aria-pressed': String(preset === active) }, t(`range.${preset}` as MessageKey));
    button.addEventListener('click', () => choose(preset));
    return button;
  });
  const customButton = h('button', { type: 'button', 'data-preset': 'custom', 'aria-pressed': String(active === undefined) }, t('range.custom'));
  customButton.addEventListener('click', () => {
    custom.hidden = false;
    for (const b of [...buttons, customButton]) b.setAttribute('aria-pressed', String(b === customButton));
    from.querySelector('input')?.focus();
  });

  return h('div', { class: 'range-picker', role: 'group', 'aria-label': t('range.label'), 'data-testid': 'range-picker' }, h('div', { class: 'segmented' }, ...buttons, customButton), custom);
}

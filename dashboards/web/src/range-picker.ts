import { h } from '../../../web-kit/dom.js';
import type { Bucket } from '../../reports/report-types.js';
import { t } from './app.js';
import { dateField } from './date-field.js';
import { PRESETS, presetOf, presetRange, type DateRange, type Preset } from './dates.js';
import type { MessageKey } from './i18n.js';
import { setParams } from './router.js';

/** The bucket a preset reads best in: days for a week or a month, months for a year. */
const PRESET_BUCKET: Record<Preset, Bucket> = { today: 'day', week: 'day', month: 'day', year: 'month', lastYear: 'month' };

export interface RangePicker {
  el: HTMLElement;
  /** Shows the range the address now names. */
  set(range: DateRange, today: string): void;
}

/**
 * The time range of a view: presets (« Aujourd'hui », « Cette semaine » from Monday, « Ce mois »,
 * « Cette année », « L'an dernier ») or two dates. It writes the range into the address; the page follows.
 * It is kept across the page's redraws and updated in place: a redraw (a report arriving, the range just
 * typed in the other field) must not take away a date someone is typing.
 */
export function rangePicker(range: DateRange, today: string, opts: { withBucket: boolean }): RangePicker {
  let day = today;
  const choose = (preset: Preset) => setParams({ ...presetRange(preset, day), ...(opts.withBucket ? { bucket: PRESET_BUCKET[preset] } : {}) });

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
  const to = field('to');
  const custom = h('span', { class: 'range-custom', 'data-testid': 'range-custom' }, from.el, h('span', { 'aria-hidden': 'true' }, '→'), to.el);

  // Opened, the two dates stay open while the range shown stays the same: a redraw (the report of the bucket
  // just chosen arriving late, on a slow link) must not close them as the range still matches a preset.
  let customOpen = false;
  let shown = { ...range };
  const buttons = PRESETS.map((preset) => {
    const button = h('button', { type: 'button', 'data-preset': preset }, t(`range.${preset}` as MessageKey));
    button.addEventListener('click', () => {
      customOpen = false;
      choose(preset);
    });
    return button;
  });
  const customButton = h('button', { type: 'button', 'data-preset': 'custom' }, t('range.custom'));
  const press = (pressed: HTMLButtonElement) => {
    for (const b of [...buttons, customButton]) b.setAttribute('aria-pressed', String(b === pressed));
  };
  customButton.addEventListener('click', () => {
    customOpen = true;
    custom.hidden = false;
    press(customButton);
    from.el.querySelector('input')?.focus();
  });

  const set = (next: DateRange, nextToday: string) => {
    day = nextToday;
    if (next.from !== shown.from || next.to !== shown.to) customOpen = false;
    shown = { from: next.from, to: next.to };
    Object.assign(dates, shown);
    const active = customOpen ? undefined : presetOf(next, day);
    // Hidden behind a preset, nobody is typing in them.
    from.set(next.from, active !== undefined);
    to.set(next.to, active !== undefined);
    press(active === undefined ? customButton : buttons[PRESETS.indexOf(active)]!);
    custom.hidden = active !== undefined;
  };
  set(range, today);
  return { el: h('div', { class: 'range-picker', role: 'group', 'aria-label': t('range.label'), 'data-testid': 'range-picker' }, h('div', { class: 'segmented' }, ...buttons, customButton), custom), set };
}

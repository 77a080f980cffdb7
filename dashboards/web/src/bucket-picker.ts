import { h } from '../../../web-kit/dom.js';
import type { Bucket } from '../../reports/report-types.js';
import { t } from './app.js';
import type { MessageKey } from './i18n.js';
import { setParams } from './router.js';

const BUCKETS: readonly Bucket[] = ['day', 'week', 'month', 'year'];

export function isBucket(value: string | null): value is Bucket {
  return (BUCKETS as readonly (string | null)[]).includes(value);
}

/** Per day, week, month or year: how a chart's bars are cut. */
export function bucketPicker(bucket: Bucket): HTMLElement {
  const buttons = BUCKETS.map((b) => {
    const button = h('button', { type: 'button', 'data-bucket': b, 'aria-pressed': String(b === bucket) }, t(`bucket.${b}` as MessageKey));
    button.addEventListener('click', () => setParams({ bucket: b }));
    return button;
  });
  return h('div', { class: 'segmented bucket-picker', role: 'group', 'aria-label': t('bucket.label'), 'data-testid': 'bucket-picker' }, ...buttons);
}

import { h } from '../../../web-kit/dom.js';
import { app, t } from './app.js';
import { csvPath } from './api.js';

/**
 * A plain link to one table of a report as CSV: the server builds it from the same URL as the chart's
 * (`&format=csv&table=…&lang=…`), so what is downloaded is what is drawn.
 */
export function csvLink(reportUrl: string, table: string, label = t('csv.label')): HTMLAnchorElement {
  return h('a', { class: 'csv-link', href: csvPath(reportUrl, table, app.lang), download: '', 'data-testid': `csv-${table}`, title: t('csv.title') }, label);
}

import { h } from '../../../web-kit/dom.js';
import { app, t } from './app.js';
import { setParams } from './router.js';

/** The site a view shows: each site of the network, or the whole network (`*`). Nothing when there is one site. */
export function sitePicker(scope: string): HTMLElement | undefined {
  const sites = app.site?.sites ?? [];
  if (sites.length <= 1) return undefined;
  const select = h(
    'select',
    { 'data-testid': 'site-picker', 'aria-label': t('site.label') },
    ...sites.map((s) => h('option', { value: s.id }, s.name)),
    h('option', { value: '*' }, app.site?.networkName ?? '*'),
  );
  select.value = scope;
  select.addEventListener('change', () => setParams({ site: select.value }));
  return h('label', { class: 'site-picker' }, h('span', { class: 'toolbar-label' }, t('site.label')), select);
}

/** The scope a view's address names, if this server shows it; the home site otherwise. */
export function scopeParam(params: URLSearchParams): string {
  const wanted = params.get('site');
  if (wanted === '*' && (app.site?.sites.length ?? 0) > 1) return '*';
  return app.site?.sites.find((s) => s.id === wanted)?.id ?? app.site?.id ?? '';
}

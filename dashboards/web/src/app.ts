import type { SiteInfo } from '../../api/types.js';
import { initialLang, rememberLang, translate, type Lang, type MessageKey } from './i18n.js';

/** What every part of the page shares: the language, and the site as `/api/v1/site` describes it (once signed in). */
export const app = {
  lang: initialLang(),
  site: undefined as SiteInfo | undefined,
};

export const t = (key: MessageKey, vars?: Record<string, string>): string => translate(app.lang, key, vars);

const langListeners = new Set<() => void>();

/** Runs `listener` after each change of language; returns its removal. */
export function onLangChange(listener: () => void): () => void {
  langListeners.add(listener);
  return () => langListeners.delete(listener);
}

export function setLang(lang: Lang): void {
  app.lang = lang;
  rememberLang(lang);
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
  }
  for (const listener of [...langListeners]) listener();
}

/** The sites a scope covers: one site, or every site for the whole network (`*`). */
export function sitesOf(scope: string): string[] {
  const sites = app.site?.sites ?? [];
  return scope === '*' ? sites.map((s) => s.id) : [scope];
}

/** The time zone a scope's dates are in (the home site's for the whole network, as the server does). */
export function timeZoneOf(scope: string): string {
  return app.site?.sites.find((s) => s.id === scope)?.timeZone ?? app.site?.timeZone ?? 'Europe/Paris';
}

/** What a scope is called: the site's name, or the network's. */
export function scopeName(scope: string): string {
  if (scope === '*') return app.site?.networkName ?? '*';
  return app.site?.sites.find((s) => s.id === scope)?.name ?? app.site?.name ?? scope;
}

/** Browser code shared by the web pages (the dashboards and the counter's kiosk). */

export type Lang = 'fr' | 'en';

export function isLang(value: unknown): value is Lang {
  return value === 'fr' || value === 'en';
}

/** The locale of a language for `Intl`: French as in France (decimal comma), English as in Britain (day first). */
export function localeOf(lang: Lang): string {
  return lang === 'fr' ? 'fr-FR' : 'en-GB';
}

/** A page's language choice, kept in the browser under its own key. */
export function langChoice(storageKey: string): { initial(): Lang; remember(lang: Lang): void } {
  const remember = (lang: Lang): void => {
    try {
      localStorage.setItem(storageKey, lang);
    } catch {
      // Not remembered; the switch still works for this page.
    }
  };
  return {
    /** `?lang=` wins and is remembered; then the remembered choice; then French. */
    initial(): Lang {
      const fromUrl = new URLSearchParams(location.search).get('lang');
      if (isLang(fromUrl)) {
        remember(fromUrl);
        return fromUrl;
      }
      try {
        const stored = localStorage.getItem(storageKey);
        if (isLang(stored)) return stored;
      } catch {
        // Storage may be disabled (private mode, kiosk browser policies): French then.
      }
      return 'fr';
    },
    remember,
  };
}

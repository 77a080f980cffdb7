import { langChoice, type Lang } from '../../../web-kit/lang.js';
import { en } from './words-en.js';
import { fr, type MessageKey } from './words-fr.js';

export type { Lang, MessageKey };

/** The page's words: French first (the users' ressourcerie vocabulary), English second. */
const messages: Record<Lang, Record<MessageKey, string>> = { fr, en };
const STORAGE_KEY = 'trebuchet.lang';

const langs = langChoice(STORAGE_KEY);
export const initialLang = langs.initial;
export const rememberLang = langs.remember;

export function translate(lang: Lang, key: MessageKey, vars: Record<string, string> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}

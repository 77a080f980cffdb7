import type { Label } from '../../../../protocol/taxonomy.js';
import type { KioskBon, KioskLine, KioskScale, KioskState } from '../../kiosk-types.js';
import { localeOf } from '../../../../web-kit/lang.js';
import { initialLang, translate, type Lang, type MessageKey } from './i18n.js';

// What the agent sends is typed in edge-agent/kiosk/kiosk-types.ts; it is the page's own agent, so trusted.

/** The page's state: the counter as the agent last described it, and what only this screen knows. */
export const app = {
  lang: initialLang() as Lang,
  operator: loadOperator(),
  kiosk: null as KioskState | null,
  stream: 'connecting' as 'connecting' | 'open' | 'lost',
  /** The scale category taps go to. */
  target: undefined as string | undefined,
};

const OPERATOR_KEY = 'trebuchet.kiosk.operator';

function loadOperator(): string {
  try {
    return localStorage.getItem(OPERATOR_KEY)?.trim().slice(0, 64) ?? '';
  } catch {
    return '';
  }
}

export function setOperator(name: string): void {
  app.operator = name.trim().slice(0, 64);
  try {
    if (app.operator) localStorage.setItem(OPERATOR_KEY, app.operator);
    else localStorage.removeItem(OPERATOR_KEY);
  } catch {
    // Not remembered; kept for this page.
  }
}

/** `by` for every action, when someone said who they are. */
export function by(): { by?: string } {
  return app.operator ? { by: app.operator } : {};
}

let redraw: () => void = () => undefined;
let receive: (state: KioskState) => void = () => undefined;

/** The page's handler of a new state from the agent (the stream's, or one fetched after an action). */
export function onState(fn: (state: KioskState) => void): void {
  receive = fn;
}
export function receiveState(state: KioskState): void {
  receive(state);
}

/** The page's renderer, called after a change only this screen knows about (target, language…). */
export function onRedraw(fn: () => void): void {
  redraw = fn;
}
export function rerender(): void {
  redraw();
}

export const t = (key: MessageKey, vars?: Record<string, string | number>): string => translate(app.lang, key, vars);

export function plural(n: number, one: MessageKey, other: MessageKey): string {
  return t(n === 1 ? one : other, { n });
}

export function linesText(n: number): string {
  return plural(n, 'lines.one', 'lines.other');
}

// ---- Numbers and times ----

/** Kilograms with the decimal comma in French: at least `min`, at most 3 decimals. */
export function formatKg(kg: number, min = 1, max = 3): string {
  return new Intl.NumberFormat(localeOf(app.lang), { minimumFractionDigits: min, maximumFractionDigits: Math.max(min, max) }).format(kg);
}

/** Decimals a reading came with (12.35 → 2), kept between 1 and 3. */
export function decimalsOf(kg: number): number {
  const d = String(kg).split('.')[1]?.length ?? 0;
  return Math.min(3, Math.max(1, d));
}

/** HH:MM on the site's clock (the agent's `timeZone`), as the dashboards show it, whatever the tablet's zone. */
export function hhmm(iso: string | undefined): string {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  return new Intl.DateTimeFormat(localeOf(app.lang), { hour: '2-digit', minute: '2-digit', timeZone: app.kiosk?.timeZone }).format(at);
}

/** Sum of kilograms, done in grams so that 0.1 + 0.2 is 0.3. */
export function sumKg(values: number[]): number {
  return values.reduce((g, kg) => g + Math.round(kg * 1000), 0) / 1000;
}

export function standing(bon: KioskBon): KioskLine[] {
  return bon.lines.filter((l) => !l.voided);
}

export function bonTotal(bon: KioskBon): number {
  return sumKg(standing(bon).map((l) => l.weighing.netKg));
}

// ---- Taxonomy ----

export function active<T extends { retired: boolean }>(list: T[]): T[] {
  return list.filter((x) => !x.retired);
}

export function label(l: Label | undefined, fallback: string): string {
  return l?.[app.lang] ?? fallback;
}

type TaxonomyList = 'categories' | 'collectTypes' | 'destinations' | 'partners' | 'districts' | 'containers';

/** The label of a taxonomy entry in the page's language, or its id when it is not (or no longer) listed. */
export function labelOf(list: TaxonomyList, id: string | undefined): string {
  if (!id) return '';
  const entries: { id: string; label: Label }[] = app.kiosk?.taxonomy[list] ?? [];
  return label(entries.find((e) => e.id === id)?.label, id);
}

export function categoryColor(id: string): string {
  return app.kiosk?.taxonomy.categories.find((c) => c.id === id)?.color ?? '#6b7580';
}

export function scales(): KioskScale[] {
  return app.kiosk?.scales ?? [];
}

/** The scale category taps go to: the one tapped last, else the first. */
export function targetScale(): KioskScale | undefined {
  const list = scales();
  return list.find((s) => s.id === app.target) ?? list[0];
}

/**
 * What the kiosk page and the agent say to each other over the agent's HTTP API. Types only (the page
 * imports them too); the request bodies are validated with zod in kiosk-http.ts.
 */
import type { ScaleState, Weighing } from '../../protocol/messages.js';
import type { Taxonomy } from '../../protocol/taxonomy.js';

/** The counter's fields of a new bon (the agent checks them against the taxonomy). */
export interface OpenBonInput {
  direction: 'in' | 'out';
  collectType?: string;
  district?: string;
  destination?: string;
  partner?: string;
  comment?: string;
}

/** One line of a bon: the weighing event as the agent accepted it, and its cancellation if any. */
export interface KioskLine {
  /** The weighing's event id. */
  id: string;
  scale: string;
  weighing: Weighing;
  voided?: { at: string; by?: string; voidId: string };
}

export interface KioskBon extends OpenBonInput {
  /** Unique across agents and restarts: `{agent}-{YYYYMMDD}-{number}-{6 random hex digits}`. */
  bonId: string;
  /** The bon's number of the day at this counter, shown big on the screen. */
  number: number;
  openedAt: string;
  /** The clock's state when the bon was opened, for the bon event (repaired like any event's time). */
  clock: { clockSynced: boolean; clockRef?: { boot: string; monoMs: number } };
  by?: string;
  state: 'open' | 'closed' | 'abandoned';
  closedAt?: string;
  closedBy?: string;
  lines: KioskLine[];
}

/** Where a scale of the counter stands in taking its current load. */
export type CaptureStep =
  /** Nothing on the scale, no category tapped. */
  | 'idle'
  /** A category is tapped: the next stable load is taken with it. */
  | 'armed'
  /** A load is on, stable, and waits for a category. */
  | 'awaiting-category'
  /** A category is tapped and the load is moving: taken as soon as it is stable. */
  | 'waiting-stable'
  /** The load on the scale has been taken: take it off for the next one. */
  | 'taken'
  /** The scale started with a load on it (or shows one it cannot take): empty it first. */
  | 'empty-first';

export interface KioskScale {
  id: string;
  minKg: number;
  maxKg?: number;
  live: { kg: number | null; state: ScaleState };
  health: 'ok' | 'degraded' | 'offline';
  step: CaptureStep;
  armedCategory?: string;
  container?: string;
}

export interface KioskState {
  site: string;
  /** The site's name for people (« Ressourcerie des Lilas »), when the agent's config gives it. */
  siteName?: string;
  agent: string;
  /** The site's IANA time zone: the page shows every time on the site's clock, not the tablet's. */
  timeZone: string;
  /** A demonstration (`trebuchet up --demo`): the page says so. */
  demo: boolean;
  taxonomy: Taxonomy;
  scales: KioskScale[];
  bon: KioskBon | null;
  /** Latest closed or abandoned bons, newest first. */
  recent: KioskBon[];
  /** Events accepted and not yet stored by the server: the kiosk works on while this grows. */
  outbox: { depth: number };
  link: 'connected' | 'disconnected';
}

export const REFUSALS = [
  'no-bon',
  'bon-not-open',
  'bon-already-open',
  'no-category',
  'unknown-category',
  'over-max',
  'under-min',
  'overload',
  'unstable',
  'not-a-number',
  'not-positive',
  'under-tare',
  'empty-bon',
  'missing-field',
  'unknown-scale',
  'unknown-line',
  'already-voided',
  'outbox-refused',
] as const;
export type RefusalCode = (typeof REFUSALS)[number];

/** What an API call refused, and why: the page words it from the code and params in the user's language. */
export interface KioskRefusal {
  error: RefusalCode;
  /** The reason in English, for API users and logs. */
  message: string;
  params?: Record<string, string | number>;
}

/** Something the counter must see now: a refusal tied to a scale's load, or a line taken. */
export interface KioskNotice {
  code: RefusalCode | 'line-taken' | 'line-voided' | 'bon-closed' | 'bon-abandoned';
  scale?: string;
  params?: Record<string, string | number>;
  at: string;
}

export interface KioskLiveEvent {
  scale: string;
  kg: number | null;
  state: ScaleState;
}

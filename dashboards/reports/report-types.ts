/**
 * What the report API sends (`/api/v1/reports/*`): imported by the server that builds the reports and by
 * the page that draws them (type-only). Kilograms are exact to the gram (sums of integer grams / 1000);
 * dates are the site's local calendar dates, YYYY-MM-DD.
 */

export type Bucket = 'day' | 'week' | 'month' | 'year';

export interface SiteRef {
  id: string;
  name: string;
  timeZone: string;
}

interface ReportBase {
  /** A site id, or `*` for the whole network. */
  scope: string;
  from: string;
  to: string;
}

export interface PeriodTotals {
  from: string;
  to: string;
  kg: number;
  byCategory: Record<string, number>;
}

export interface CollecteReport extends ReportBase {
  bucket: Bucket;
  /** Categories with a non-zero total over the range: taxonomy order, then unknown ids. */
  categories: string[];
  /** Every bucket of the range, empty ones included; `start` is the bucket's first date (weeks start on Monday). */
  buckets: { start: string; totalKg: number; byCategory: Record<string, number> }[];
  /** `lines`: weighings, corrections deducted (a voided line counts −1). */
  totals: { kg: number; lines: number; byCategory: Record<string, number> };
  /** Kilograms by collect type id and by district id (`''`: no district given). */
  byCollectType: Record<string, number>;
  byDistrict: Record<string, number>;
  previous: PeriodTotals;
  lastYear: PeriodTotals;
}

export interface ValorisationByCategory {
  category: string;
  collectedKg: number;
  /** Outgoing kilograms by destination id. */
  byDestination: Record<string, number>;
  outKg: number;
  /** Outgoing to destinations the taxonomy marks `valorised` (reuse, gift, recycling). */
  valorisedKg: number;
  /** valorisedKg / collectedKg, null when nothing was collected. */
  rate: number | null;
}

export interface SortiesReport extends ReportBase {
  bucket: Bucket;
  destinations: string[];
  buckets: { start: string; totalKg: number; byDestination: Record<string, number> }[];
  byDestination: Record<string, number>;
  /** Outgoing kilograms per destination and partner (`''`: none given), largest first. */
  byPartner: { destination: string; partner: string; kg: number }[];
  valorisation: Omit<ValorisationByCategory, 'category'> & { byCategory: ValorisationByCategory[] };
}

export interface FrequentationReport extends ReportBase {
  bucket: Bucket;
  buckets: { start: string; visitors: number }[];
  /** The same range a year earlier, bucketed the same way. */
  lastYear: { from: string; to: string; visitors: number; buckets: { start: string; visitors: number }[] };
  /** Visitors (entries) by local weekday (0 Monday … 6 Sunday) and local hour (0–23), over the range. */
  heatmap: number[][];
  /** Per weekday: how many such days the range has, visitors on them, and the average per day. */
  byWeekday: { weekday: number; days: number; visitors: number; average: number }[];
  totals: { visitors: number; exits: number; collectedKg: number; kgPerVisitor: number | null };
}

export interface BilanReport extends ReportBase {
  year: number;
  destinations: string[];
  categories: ValorisationByCategory[];
  totals: Omit<ValorisationByCategory, 'category'>;
  /** Shop customers: entries counted at the door. */
  customers: number;
  /** Closed bons by collect type (drop-offs at the counter, home pick-ups…) with their kilograms. */
  collectTypes: { collectType: string; bons: number; kg: number }[];
  bons: { in: number; out: number; abandoned: number };
}

export interface TodayReport {
  scope: string;
  date: string;
  totalKg: number;
  categories: string[];
  byCategory: Record<string, number>;
  /** Closed incoming bons today and their average weight. */
  bons: { count: number; avgKg: number | null };
  /** Entries and exits today; occupancy = entries − exits, never below zero. */
  visitors: { in: number; out: number; occupancy: number };
}

/**
 * Every report by its name, `/api/v1/reports/{name}`, and what it answers: the server's definitions
 * (reports/index.ts) build these, and the pages ask for them by these names.
 */
export interface ReportTypes {
  collecte: CollecteReport;
  sorties: SortiesReport;
  frequentation: FrequentationReport;
  bilan: BilanReport;
  today: TodayReport;
}
export type ReportName = keyof ReportTypes;

export interface DeviceState {
  id: string;
  state: string;
  errors: number | null;
  /** The scale's last live weight, if it sent one since the server started. */
  live: { kg: number | null; state: string; t: string } | null;
  /** When the device last gave a reading: the latest of the agent's health, its status and the live weight. */
  lastReadingAt: string | null;
}

export interface AgentState {
  site: string;
  agent: string;
  state: 'online' | 'offline';
  /** When the status was last published. */
  since: string | null;
  version: string | null;
  devices: DeviceState[];
  /** From the agent's last health message (every few seconds while it is connected). */
  health: { t: string; outboxDepth: number; oldestPendingS: number | null; deadLetters: number; diskFreeBytes: number | null; clockSynced: boolean } | null;
}

export interface DevicesReport {
  scope: string;
  /** Whether this server reaches the broker: when it does not, every state below is stale. */
  mqtt: 'connected' | 'disconnected';
  agents: AgentState[];
}

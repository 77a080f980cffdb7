import type { ScaleState, Status, Weighing } from '../../protocol/messages.js';
import type { Category, Taxonomy } from '../../protocol/taxonomy.js';
import type { SiteRef } from '../reports/report-types.js';

/**
 * What the dashboards' API and live stream send: imported by the server that builds these and by the
 * page that reads them (type-only, so nothing of the server reaches the bundle).
 */

export interface SiteInfo {
  id: string;
  name: string;
  timeZone: string;
  categories: Category[];
  /** The whole site taxonomy (collect types, destinations, partners, districts, containers). */
  taxonomy: Taxonomy;
  /** Every site this server shows, this one first; the site selector also offers the whole network (`*`). */
  sites: SiteRef[];
  networkName: string;
  /** A demonstration: the figures are simulated, and every page says so. */
  demo: boolean;
}

/** One stored incoming weighing, as the « dernières pesées » list shows it. */
export interface LatestWeighing {
  id: string;
  capturedAt: string;
  /** The site it was weighed at: a network's list holds several. */
  site: string;
  device: string;
  category: string;
  netKg: number;
  entry: 'normal' | 'void';
  source: string;
}

/** SSE `live`: the current weight of one scale. */
export interface LiveEvent {
  site: string;
  agent: string;
  device: string;
  kg: number | null;
  state: ScaleState;
  t: string;
}
/** SSE `weighing`: one stable weighing as the agent published it (before ingest stores it). */
export type WeighingEvent = { site: string; agent: string; device: string } & Weighing;
/** SSE `status`: an agent's retained status, `offline` when its last will fired. */
export type StatusEvent = { site: string; agent: string } & Status;
/** SSE `link`: whether this server currently reaches the broker, so the page can say its live data is stale. */
export interface LinkEvent {
  mqtt: 'connected' | 'disconnected';
}

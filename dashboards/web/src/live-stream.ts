import type { LinkEvent, LiveEvent, StatusEvent, WeighingEvent } from '../../api/types.js';
import { getJson } from './api.js';

/**
 * The one live stream of the page (`/api/v1/live`): the scales' weights, the agents' statuses, weighings as
 * they are taken, and whether the server hears the broker. It reconnects by itself, for as long as the
 * page is open (a TV left on for days), and tells when it did: what was missed is in the stored figures.
 */

export type LinkState = 'connecting' | 'live' | 'brokerDown' | 'offline';

export interface LiveListener {
  /** A scale's weight or an agent's status changed, or the link did. */
  changed?(): void;
  weighing?(w: WeighingEvent): void;
  /** The stream is back after a cut. */
  reconnected?(): void;
}

const state = {
  open: false,
  everOpened: false,
  mqtt: false,
  /** By `site/agent/device`. */
  scales: new Map<string, LiveEvent>(),
  /** By `site/agent`. */
  agents: new Map<string, StatusEvent>(),
};

const listeners = new Set<LiveListener>();
let retryMs = 1_000;
let source: EventSource | undefined;

export function onLive(listener: LiveListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const notify = (call: (l: LiveListener) => void) => {
  for (const l of [...listeners]) call(l);
};

export function linkState(): LinkState {
  if (!state.open) return state.everOpened ? 'offline' : 'connecting';
  return state.mqtt ? 'live' : 'brokerDown';
}

export function liveScales(): LiveEvent[] {
  return [...state.scales.values()];
}

export function agentStatus(site: string, agent: string): StatusEvent | undefined {
  return state.agents.get(`${site}/${agent}`);
}

/** What a scale's card shows: its own state, unless the page, the server or its agent lost touch with it. */
export function effectiveState(s: LiveEvent): LiveEvent['state'] {
  if (linkState() !== 'live') return 'offline';
  const agent = state.agents.get(`${s.site}/${s.agent}`);
  if (agent?.state === 'offline' || agent?.devices?.[s.device]?.state === 'offline') return 'offline';
  return s.state;
}

function connect(): void {
  const es = new EventSource('/api/v1/live');
  source = es;
  es.addEventListener('open', () => {
    const reconnected = state.everOpened;
    state.open = true;
    state.everOpened = true;
    retryMs = 1_000;
    notify((l) => l.changed?.());
    if (reconnected) notify((l) => l.reconnected?.());
  });
  es.addEventListener('error', () => {
    state.open = false;
    notify((l) => l.changed?.());
    // The browser retries by itself unless the server answered with an error (a restart, a 401); then it is up to us.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      // The refusal may be a session that ended: a plain request learns it, and brings the login screen back.
      getJson('/api/v1/me').catch(() => undefined);
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  });
  es.addEventListener('link', (e) => {
    state.mqtt = (JSON.parse(e.data) as LinkEvent).mqtt === 'connected';
    notify((l) => l.changed?.());
  });
  es.addEventListener('live', (e) => {
    const live = JSON.parse(e.data) as LiveEvent;
    state.scales.set(`${live.site}/${live.agent}/${live.device}`, live);
    notify((l) => l.changed?.());
  });
  es.addEventListener('status', (e) => {
    const status = JSON.parse(e.data) as StatusEvent;
    state.agents.set(`${status.site}/${status.agent}`, status);
    notify((l) => l.changed?.());
  });
  es.addEventListener('weighing', (e) => {
    const w = JSON.parse(e.data) as WeighingEvent;
    notify((l) => l.weighing?.(w));
  });
}

/** Opens the stream, once signed in. */
export function startLiveStream(): void {
  if (source) return;
  connect();
  window.addEventListener('beforeunload', () => source?.close());
}

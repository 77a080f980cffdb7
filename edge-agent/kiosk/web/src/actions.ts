import { api, type Outcome } from './api.js';
import { showRefusal } from './notices.js';
import { app, receiveState } from './store.js';

const running = new Set<string>();

/**
 * Runs one of the screen's actions: a second tap while the first is on its way is ignored (gloves
 * double-tap), a refusal is shown in the banner, and the screen is refreshed by hand when the stream is
 * down; otherwise the stream's `state` brings the change.
 * Returns the outcome, or undefined if ignored.
 */
export async function act<T>(
  key: string,
  call: () => Promise<Outcome<T>>,
  opts: { scale?: string } = {},
): Promise<Outcome<T> | undefined> {
  if (running.has(key)) return undefined;
  running.add(key);
  document.body.classList.add('busy');
  try {
    const outcome = await call();
    if (!outcome.ok) showRefusal(outcome.refusal, opts.scale);
    if (app.stream !== 'open') await resync();
    return outcome;
  } finally {
    running.delete(key);
    if (!running.size) document.body.classList.remove('busy');
  }
}

/** Fetches the whole state once (at start and when the stream is down). */
export async function resync(): Promise<void> {
  const r = await api.state();
  if (r.ok) receiveState(r.data);
}

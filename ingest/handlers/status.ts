import type { WatchedKindHandler } from './handler.js';

/**
 * An agent's retained status tells its install date, before which nothing it sends can have been captured,
 * and whether it is connected: an agent online (just connected, or found so by an ingest that starts) is
 * offered batches.
 */
export const status: WatchedKindHandler<'status'> = ({ site, agent }, s, ctx) => {
  if (s.installedAt) ctx.installed(site, agent, s.installedAt);
  if (s.state === 'online') ctx.online(site, agent);
};

import type { WatchedKindHandler } from './handler.js';

/** An agent's retained status tells its install date, before which nothing it sends can have been captured. */
export const status: WatchedKindHandler<'status'> = ({ site, agent }, s, ctx) => {
  if (s.installedAt) ctx.installed(site, agent, s.installedAt);
};

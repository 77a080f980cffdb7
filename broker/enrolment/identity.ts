import { agentUsername, type AgentIdentity } from '../../protocol/index.js';
import type { BrokerConfig } from '../config.js';
import { setAgentPassword } from '../credentials.js';

/** A host for a URL: IPv6 addresses in brackets. */
const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * The URLs an agent uses for this broker, reached as `host`: MQTT over TLS first (lighter), then over
 * WebSocket on the HTTPS port, which a shop's network that lets only 443 out still passes.
 */
export function agentUrls(config: Pick<BrokerConfig, 'tls' | 'https'>, host: string, httpsPort = config.https?.port): string[] {
  const urls: string[] = [];
  if (config.tls) urls.push(`mqtts://${urlHost(host)}:${config.tls.port}`);
  if (config.https) urls.push(`wss://${urlHost(host)}:${httpsPort}/mqtt`);
  return urls;
}

/** Gives the agent a new password and returns everything its Pi needs; a previous password stops working. */
export function issueIdentity(dataDir: string, place: { site: string; agent: string }, urls: string[], caPem: string | undefined, now = new Date()): AgentIdentity {
  const username = agentUsername(place.site, place.agent);
  const password = setAgentPassword(dataDir, place.site, place.agent, username);
  return { format: 'trebuchet-agent-identity/1', ...place, username, password, urls, ...(caPem ? { caPem } : {}), issuedAt: now.toISOString() };
}

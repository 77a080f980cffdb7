/**
 * An MQTT client id is bound to its user (DESIGN.md): the broker accepts only the username itself or
 * `{username}:{suffix}`, so that no user can take over another's session (a new connection with an
 * existing id disconnects the old one). No username holds a `:` (they are slugs joined by dots), so one
 * user's ids can never be another's; the suffix lets several ingest or dashboards instances coexist.
 */
export const CLIENT_ID_SEPARATOR = ':';

export function clientIdBelongsTo(clientId: string, username: string): boolean {
  const prefix = `${username}${CLIENT_ID_SEPARATOR}`;
  return clientId === username || (clientId.startsWith(prefix) && clientId.length > prefix.length);
}

/** The id a client of `username` connects with: the username alone, or `wanted` bound to it as a suffix. */
export function boundClientId(username: string, wanted?: string): string {
  if (wanted === undefined || clientIdBelongsTo(wanted, username)) return wanted ?? username;
  return `${username}${CLIENT_ID_SEPARATOR}${wanted}`;
}

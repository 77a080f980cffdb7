import { readFileSync } from 'node:fs';
import { refuseIfReadableByOthers } from '../../runtime/credentials-file.js';
import type { InfluxConnection } from '../../runtime/connections.js';

/**
 * The API token of an InfluxDB 2.x or 3.x: TREBUCHET_INFLUX_TOKEN, or the first line of a `tokenFile` only
 * its owner may read (as ssh refuses a private key others can read). Never the YAML, which gets copied.
 * InfluxDB 3 started `--without-auth` takes none.
 */
export function readInfluxToken(conn: InfluxConnection): string | undefined {
  if (conn.tokenFile) {
    refuseIfReadableByOthers(conn.tokenFile);
    const token = readFileSync(conn.tokenFile, 'utf8').split('\n')[0]!.trim();
    if (!token) throw new Error(`${conn.tokenFile} est vide / is empty: it must hold the InfluxDB API token`);
    return token;
  }
  const fromEnv = process.env.TREBUCHET_INFLUX_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  if (conn.version === 2) {
    throw new Error('jeton InfluxDB 2.x manquant / InfluxDB 2.x token missing: set TREBUCHET_INFLUX_TOKEN or influx.tokenFile (a 0600 file holding the token)');
  }
  return undefined;
}

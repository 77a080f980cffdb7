import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RevokedSessions } from './revoked-sessions.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'tb-revoked-')), 'dashboards', 'revoked-sessions.json');

describe('RevokedSessions', () => {
  it('keeps a sign-out across a restart, in a 0600 file, and forgets it once its cookies have expired', () => {
    const path = tempFile();
    new RevokedSessions(path).revoke('a'.repeat(22), Date.now() + 60_000);
    const again = new RevokedSessions(path);
    expect(again.has('a'.repeat(22))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, JSON.stringify({ revoked: { ['b'.repeat(22)]: Date.now() - 1 } }));
    const pruned = new RevokedSessions(path);
    pruned.revoke('c'.repeat(22), Date.now() + 60_000);
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).revoked)).toEqual(['c'.repeat(22)]);
  });

  it('refuses to start on a file it cannot read, rather than let signed-out cookies in again', () => {
    const path = tempFile();
    new RevokedSessions(path).revoke('a'.repeat(22), Date.now() + 60_000);
    writeFileSync(path, '{"revoked": ');
    expect(() => new RevokedSessions(path)).toThrow(/remove it together with the session secret/);
  });
});

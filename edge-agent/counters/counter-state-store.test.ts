import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../runtime/durable-file.js';
import { CounterStateStore } from './counter-state-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trebuchet-counter-state-'));
  dirs.push(d);
  return d;
}

const STATE = {
  last: { in: 1234, out: 1200, modulo: 65_536 },
  open: { bucketStart: '2025-03-14T10:01:00.000Z', bucketSeconds: 60, in: 3, out: 1 },
  closedUntil: '2025-03-14T10:01:00.000Z',
};
const NOW = Date.parse('2025-03-14T10:01:30Z');

describe('CounterStateStore', () => {
  it('finds nothing on a first start, without a problem', () => {
    expect(new CounterStateStore(tempDir(), 'porte').load()).toEqual({ state: undefined });
  });

  it('saves and loads the state, creating the folder, leaving no temporary file', () => {
    const dir = join(tempDir(), 'state', 'counters');
    const store = new CounterStateStore(dir, 'porte');
    store.save(STATE, NOW);
    expect(store.path).toBe(join(dir, 'porte.json'));
    expect(readdirSync(dir)).toEqual(['porte.json']);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ v: 1, deviceId: 'porte', ...STATE, closed: [], savedAt: '2025-03-14T10:01:30.000Z' });
    expect(store.load()).toEqual({ state: { v: 1, deviceId: 'porte', ...STATE, closed: [], savedAt: '2025-03-14T10:01:30.000Z' } });
    store.save({ last: null, open: null, closedUntil: null }, NOW);
    expect(store.load().state).toMatchObject({ last: null, open: null, closedUntil: null });
  });

  it('keeps the closed buckets not yet delivered, and reads a file from before they were kept as having none', () => {
    const store = new CounterStateStore(tempDir(), 'porte');
    const closed = [{ bucketStart: '2025-03-14T10:00:00.000Z', bucketSeconds: 60, in: 4, out: 2 }];
    store.save({ ...STATE, closed }, NOW);
    expect(store.load().state?.closed).toEqual(closed);
    writeFileSync(store.path, JSON.stringify({ v: 1, deviceId: 'porte', ...STATE, savedAt: '2025-03-14T10:01:30Z' }));
    expect(store.load()).toEqual({ state: expect.objectContaining({ ...STATE, closed: [] }) });
  });

  it.each([
    ['truncated JSON', '{"v":1,"deviceId":"porte","last":{"in":12'],
    ['not JSON at all', '\u0000\u0000\u0000'],
    ['a count not below its modulo', JSON.stringify({ v: 1, deviceId: 'porte', ...STATE, last: { in: 70_000, out: 0, modulo: 65_536 }, savedAt: '2025-03-14T10:01:30Z' })],
    ['an unknown version', JSON.stringify({ v: 2, deviceId: 'porte', ...STATE, savedAt: '2025-03-14T10:01:30Z' })],
    ['another device', JSON.stringify({ v: 1, deviceId: 'porte-2', ...STATE, savedAt: '2025-03-14T10:01:30Z' })],
  ])('sets aside a file with %s as .bad and reports it', (_name, content) => {
    const dir = tempDir();
    const store = new CounterStateStore(dir, 'porte');
    writeFileSync(store.path, content);
    const loaded = store.load();
    expect(loaded.state).toBeUndefined();
    expect(loaded.problem).toMatch(/^unusable state file .*porte\.json \(.+\); moved to .*porte\.json\.bad, counting starts from a new baseline$/);
    expect(existsSync(store.path)).toBe(false);
    expect(readFileSync(`${store.path}.bad`, 'utf8')).toBe(content);
    expect(store.load()).toEqual({ state: undefined }); // the next start is a first start
  });

  it('reports an unreadable state file instead of throwing', () => {
    const dir = tempDir();
    const store = new CounterStateStore(dir, 'porte');
    mkdirSync(store.path); // a directory where the file should be
    const loaded = store.load();
    expect(loaded.state).toBeUndefined();
    expect(loaded.problem).toMatch(/cannot read .*porte\.json: .*EISDIR/);
  });

  it('throws save errors for the caller to report', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    expect(() => new CounterStateStore(join(dir, 'not-a-dir'), 'porte').save(STATE, NOW)).toThrow();
  });

  it('refuses a device id that is not a slug (it becomes a file name)', () => {
    expect(() => new CounterStateStore(tempDir(), '../etc')).toThrow();
  });
});

describe('writeFileAtomic', () => {
  it('replaces the content whole and cleans up after a failure', () => {
    const dir = tempDir();
    const path = join(dir, 'f.json');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    mkdirSync(join(dir, 'g.json')); // rename over a directory fails
    expect(() => writeFileAtomic(join(dir, 'g.json'), 'x')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['f.json', 'g.json']);
  });

  it('gives the file and the folders it creates their modes, even over a stale temporary file', () => {
    const dir = join(tempDir(), 'private');
    const path = join(dir, 'secrets.json');
    writeFileAtomic(path, 'one', { mode: 0o600, dirMode: 0o700 });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(`${path}.tmp`, 'left by a crash', { mode: 0o644 });
    writeFileAtomic(path, 'two', { mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['secrets.json']);
  });
});

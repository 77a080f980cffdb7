import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsPaths, ensureUsers, readUsers, revokeAgent, setAgentPassword, type BrokerUser } from './credentials.js';
import { UsersWatch } from './users-watch.js';

const AGENT = 'agent.paris-11.comptoir';
const WANTED = [
  { username: 'ingest', role: 'ingest' as const },
  { username: AGENT, role: 'agent' as const, site: 'paris-11', agent: 'comptoir' },
];

type Users = Map<string, BrokerUser>;
interface Change {
  users: Users;
  previous: Users;
}
interface LogLine {
  level: number;
  msg: string;
  file?: string;
  err?: string;
}

/** A watch whose changes and log lines the test awaits, one at a time, as they come. */
function watchUsers(dataDir: string, initial: Users) {
  const changes: Change[] = [];
  const logs: LogLine[] = [];
  let changeWaiter: (() => void) | undefined;
  let logWaiter: (() => void) | undefined;
  const log = pino({ level: 'info' }, {
    write: (line: string) => {
      logs.push(JSON.parse(line) as LogLine);
      logWaiter?.();
    },
  });
  const watch = new UsersWatch(dataDir, initial, (users, previous) => {
    changes.push({ users, previous });
    changeWaiter?.();
  }, log);
  watches.push(watch);
  const nextOf = <T>(list: T[], setWaiter: (w: (() => void) | undefined) => void, seen: () => number) =>
    new Promise<T>((resolve) => {
      const check = () => {
        if (list.length > seen()) {
          setWaiter(undefined);
          resolve(list[seen()]!);
        }
      };
      setWaiter(check);
      check();
    });
  let changesSeen = 0;
  let logsSeen = 0;
  return {
    watch,
    changes,
    logs,
    nextChange: async () => {
      const change = await nextOf(changes, (w) => (changeWaiter = w), () => changesSeen);
      changesSeen++;
      return change;
    },
    nextLog: async () => {
      const line = await nextOf(logs, (w) => (logWaiter = w), () => logsSeen);
      logsSeen++;
      return line;
    },
  };
}

const watches: UsersWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
});

const newDataDir = () => mkdtempSync(join(tmpdir(), 'tb-users-watch-'));

describe('users watch', () => {
  it('hands a change written by another process to onChange, with the new users and the previous ones', async () => {
    const dataDir = newDataDir();
    const initial = ensureUsers(dataDir, WANTED);
    const w = watchUsers(dataDir, initial);
    revokeAgent(dataDir, AGENT, new Date('2026-12-01T09:00:00.000Z'));
    const { users, previous } = await w.nextChange();
    expect(users.get(AGENT)!.revokedAt).toBe('2026-12-01T09:00:00.000Z');
    expect(previous.get(AGENT)!.revokedAt).toBeUndefined();
    expect(w.watch.get(AGENT)).toEqual(users.get(AGENT));
    expect(w.watch.get('ingest')).toEqual(initial.get('ingest'));

    const password = setAgentPassword(dataDir, 'paris-11', 'comptoir', AGENT);
    const enrolled = await w.nextChange();
    expect(enrolled.users.get(AGENT)!.revokedAt).toBeUndefined();
    expect(enrolled.users.get(AGENT)!.hash).not.toBe(users.get(AGENT)!.hash);
    expect(enrolled.previous).toBe(users);
    expect(password.length).toBeGreaterThan(16);
  });

  it('keeps the users it had when users.json cannot be read, and logs why', async () => {
    const dataDir = newDataDir();
    const initial = ensureUsers(dataDir, WANTED);
    const w = watchUsers(dataDir, initial);
    const file = credentialsPaths(dataDir).users;
    writeFileSync(file, '{ "users": { half written');
    const line = await w.nextLog();
    expect(line).toMatchObject({ level: 50, file, msg: 'users.json cannot be read: the broker keeps the users it had' });
    expect(line.err).toMatch(/JSON/);
    expect(w.watch.get(AGENT)).toEqual(initial.get(AGENT));

    // A file of the wrong shape is refused the same way.
    writeFileSync(file, JSON.stringify({ users: { [AGENT]: { role: 'admin' } } }));
    await expect.poll(() => w.logs.filter((l) => l.level === 50 && /role/.test(l.err ?? '')).length).toBeGreaterThan(0);
    expect(w.watch.get(AGENT)).toEqual(initial.get(AGENT));
    expect(w.changes).toEqual([]);

    // Once the file is good again, the change is taken, against the users kept meanwhile.
    writeFileSync(file, JSON.stringify({ users: Object.fromEntries(initial) }));
    revokeAgent(dataDir, AGENT);
    const { users, previous } = await w.nextChange();
    expect(users.get(AGENT)!.revokedAt).toBeDefined();
    expect(previous).toBe(initial);
  });

  it('calls nothing when the file is written again unchanged, at a later start', async () => {
    const dataDir = newDataDir();
    ensureUsers(dataDir, WANTED);
    const w = watchUsers(dataDir, ensureUsers(dataDir, WANTED));
    const file = credentialsPaths(dataDir).users;
    writeFileSync(file, readFileSync(file, 'utf8'));
    w.watch.reload();
    expect(w.changes).toEqual([]);
    // A real change after it is the first and only one onChange sees.
    revokeAgent(dataDir, AGENT);
    await w.nextChange();
    expect(w.changes).toHaveLength(1);
  });

  it('calls nothing when the users it was given at first start are read back from the file', () => {
    const dataDir = newDataDir();
    const w = watchUsers(dataDir, ensureUsers(dataDir, WANTED));
    w.watch.reload();
    expect(w.changes).toEqual([]);
    expect(readUsers(dataDir)[AGENT]).toEqual(w.watch.get(AGENT));
  });
});

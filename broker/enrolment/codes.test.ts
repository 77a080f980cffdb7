import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCode } from '../../protocol/index.js';
import { cancelCodes, CodeRefused, createCode, pendingCodes, redeemCode } from './codes.js';

const COMPTOIR = { site: 'paris-11', agent: 'comptoir' };
const PORTE = { site: 'paris-11', agent: 'porte' };
const CA_SHA = createHash('sha256').update('a CA').digest('hex');
const T0 = new Date('2026-12-01T09:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const days = (n: number) => minutes(n * 24 * 60);

const newDataDir = () => mkdtempSync(join(tmpdir(), 'tb-codes-'));
const file = (dataDir: string) => join(dataDir, 'broker', 'enrolments.json');
const stored = (dataDir: string) => (JSON.parse(readFileSync(file(dataDir), 'utf8')) as { codes: { site: string; agent: string; usedAt?: string }[] }).codes;

/** The refusal's message, or a failure if the code was taken. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CodeRefused);
    return (err as Error).message;
  }
  throw new Error('the code was taken');
}

describe('enrolment codes', () => {
  it('enrols the agent once, then refuses the same code as already used', () => {
    const dataDir = newDataDir();
    const { code, expiresAt } = createCode(dataDir, COMPTOIR, 60, CA_SHA, T0);
    expect(expiresAt).toEqual(minutes(60));
    expect(redeemCode(dataDir, code, '192.0.2.7', minutes(1))).toEqual(COMPTOIR);
    expect(refusal(() => redeemCode(dataDir, code, '192.0.2.8', minutes(2)))).toContain(`already used on ${minutes(1).toISOString()}`);
    expect(stored(dataDir)).toEqual([expect.objectContaining({ ...COMPTOIR, usedAt: minutes(1).toISOString(), usedFrom: '192.0.2.7' })]);
  });

  it('takes the code as typed by hand, without its CA pin', () => {
    const dataDir = newDataDir();
    const { code } = createCode(dataDir, COMPTOIR, 60, CA_SHA, T0);
    const typed = code.toLowerCase().replace(/-/g, ' ').slice(0, 14);
    expect(parseCode(typed)?.pin).toBeUndefined();
    expect(redeemCode(dataDir, typed, '192.0.2.7', minutes(1))).toEqual(COMPTOIR);
  });

  it('refuses an expired code, from the minute it ends', () => {
    const dataDir = newDataDir();
    const { code } = createCode(dataDir, COMPTOIR, 60, undefined, T0);
    expect(refusal(() => redeemCode(dataDir, code, '192.0.2.7', minutes(60)))).toContain(`code expired on ${minutes(60).toISOString()}`);
    // Refused, not used: it still shows as expired, never as used.
    expect(refusal(() => redeemCode(dataDir, code, '192.0.2.7', minutes(61)))).toContain('expired');
    expect(redeemCode(dataDir, createCode(dataDir, COMPTOIR, 60, undefined, T0).code, '192.0.2.7', minutes(59))).toEqual(COMPTOIR);
  });

  it('refuses an unknown code and a malformed one, each saying what to do', () => {
    const dataDir = newDataDir();
    createCode(dataDir, COMPTOIR, 60, undefined, T0);
    expect(refusal(() => redeemCode(dataDir, '0000-0000-0000', '192.0.2.7', minutes(1)))).toMatch(/unknown code.*trebuchet agent enroll/);
    for (const typed of ['', '0000-0000', '0000-0000-000U', 'not a code at all']) {
      expect(refusal(() => redeemCode(dataDir, typed, '192.0.2.7', minutes(1)))).toMatch(/malformed code: it has 12 or 28 characters/);
    }
    // Nothing was used by those attempts.
    expect(pendingCodes(dataDir, minutes(1))).toHaveLength(1);
  });

  it("keeps only the secret's SHA-256, in a 0600 file", () => {
    const dataDir = newDataDir();
    const { code } = createCode(dataDir, COMPTOIR, 60, CA_SHA, T0);
    const { secret, pin } = parseCode(code)!;
    const text = readFileSync(file(dataDir), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(code);
    expect(text).not.toContain(pin!);
    expect(text).toContain(createHash('sha256').update(secret).digest('hex'));
    expect(statSync(file(dataDir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'broker')).mode & 0o077).toBe(0);
  });

  it("cancels an agent's pending code when a new one is made for it, not other agents' codes", () => {
    const dataDir = newDataDir();
    const first = createCode(dataDir, COMPTOIR, 60, undefined, T0);
    const porte = createCode(dataDir, PORTE, 60, undefined, T0);
    const second = createCode(dataDir, COMPTOIR, 60, undefined, minutes(1));
    expect(refusal(() => redeemCode(dataDir, first.code, '192.0.2.7', minutes(2)))).toContain('unknown code');
    expect(redeemCode(dataDir, second.code, '192.0.2.7', minutes(2))).toEqual(COMPTOIR);
    expect(redeemCode(dataDir, porte.code, '192.0.2.7', minutes(2))).toEqual(PORTE);
  });

  it("keeps an agent's used code (to say why it is refused) when a new one is made", () => {
    const dataDir = newDataDir();
    const used = createCode(dataDir, COMPTOIR, 60, undefined, T0);
    redeemCode(dataDir, used.code, '192.0.2.7', minutes(1));
    createCode(dataDir, COMPTOIR, 60, undefined, minutes(2));
    expect(refusal(() => redeemCode(dataDir, used.code, '192.0.2.7', minutes(3)))).toContain('already used');
  });

  it("cancelCodes stops an agent's pending codes only", () => {
    const dataDir = newDataDir();
    const comptoir = createCode(dataDir, COMPTOIR, 60, undefined, T0);
    const porte = createCode(dataDir, PORTE, 60, undefined, T0);
    cancelCodes(dataDir, COMPTOIR, minutes(1));
    expect(refusal(() => redeemCode(dataDir, comptoir.code, '192.0.2.7', minutes(2)))).toContain('unknown code');
    expect(pendingCodes(dataDir, minutes(2))).toEqual([{ ...PORTE, expiresAt: minutes(60).toISOString() }]);
    expect(redeemCode(dataDir, porte.code, '192.0.2.7', minutes(2))).toEqual(PORTE);
  });

  it('cancelCodes on a folder without codes writes nothing', () => {
    const dataDir = newDataDir();
    cancelCodes(dataDir, COMPTOIR, T0);
    expect(() => statSync(file(dataDir))).toThrow(/ENOENT/);
  });

  it('lists as pending only the codes neither used nor expired', () => {
    const dataDir = newDataDir();
    const used = createCode(dataDir, { site: 'paris-11', agent: 'used' }, 60, undefined, T0);
    redeemCode(dataDir, used.code, '192.0.2.7', minutes(1));
    createCode(dataDir, { site: 'paris-11', agent: 'short' }, 10, undefined, T0);
    createCode(dataDir, COMPTOIR, 60, undefined, T0);
    expect(pendingCodes(dataDir, minutes(5)).map((c) => c.agent).sort()).toEqual(['comptoir', 'short']);
    expect(pendingCodes(dataDir, minutes(10))).toEqual([{ ...COMPTOIR, expiresAt: minutes(60).toISOString() }]);
    expect(pendingCodes(dataDir, minutes(60))).toEqual([]);
    expect(pendingCodes(newDataDir())).toEqual([]);
  });

  it('forgets used and expired codes 7 days after, at the next write', () => {
    const dataDir = newDataDir();
    const used = createCode(dataDir, { site: 'paris-11', agent: 'used' }, 60, undefined, T0);
    redeemCode(dataDir, used.code, '192.0.2.7', T0);
    createCode(dataDir, { site: 'paris-11', agent: 'expired' }, 60, undefined, T0);
    // Just under 7 days after its use (and its end, for the expired one): both still kept.
    createCode(dataDir, { site: 'paris-11', agent: 'a' }, 60, undefined, new Date(days(7).getTime() - 1));
    expect(stored(dataDir).map((c) => c.agent).sort()).toEqual(['a', 'expired', 'used']);
    expect(refusal(() => redeemCode(dataDir, used.code, '192.0.2.7', new Date(days(7).getTime() - 1)))).toContain('already used');
    // 7 days after its use, the used code goes; the expired one ended an hour later, and goes an hour later.
    createCode(dataDir, { site: 'paris-11', agent: 'b' }, 60, undefined, days(7));
    expect(stored(dataDir).map((c) => c.agent).sort()).toEqual(['a', 'b', 'expired']);
    createCode(dataDir, { site: 'paris-11', agent: 'c' }, 60, undefined, new Date(days(7).getTime() + 3_600_000));
    expect(stored(dataDir).map((c) => c.agent).sort()).toEqual(['a', 'b', 'c']);
  });
});

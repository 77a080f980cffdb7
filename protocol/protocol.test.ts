import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agentTopic, decode, deviceTopic, kindFilter, MAX_KG, parseTopic, toKg } from './index.js';

const weighing = (over: Record<string, unknown> = {}) => ({
  v: 1,
  id: randomUUID(),
  seq: 7,
  capturedAt: '2026-03-29T21:30:00.000Z',
  clockSynced: true,
  netKg: 12.34,
  direction: 'in',
  category: 'textile',
  collectType: 'apport-volontaire',
  source: 'auto',
  ...over,
});

describe('topics', () => {
  it('builds and parses device and agent topics', () => {
    expect(deviceTopic('paris-11', 'comptoir', 'balance-1', 'weighing')).toBe('tb/v1/paris-11/comptoir/balance-1/weighing');
    expect(parseTopic('tb/v1/paris-11/comptoir/balance-1/weighing')).toEqual({
      ok: true,
      parts: { site: 'paris-11', agent: 'comptoir', device: 'balance-1', kind: 'weighing' },
    });
    expect(parseTopic(agentTopic('s', 'a', 'status'))).toMatchObject({ ok: true, parts: { device: '_agent', kind: 'status' } });
    expect(kindFilter('live')).toBe('tb/v1/+/+/+/live');
  });

  it('refuses topics outside the contract with a reason', () => {
    for (const bad of ['tb/v1/s/a/d', 'tb/v2/s/a/d/weighing', 'tb/v1/S!/a/d/weighing', 'tb/v1/s/a/_agent/weighing', 'tb/v1/s/a/d/status', 'tb/v1/s/a/d/weighing/x']) {
      const r = parseTopic(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(5);
    }
  });
});

describe('message schemas', () => {
  it('accepts a valid weighing and fills the entry default', () => {
    const r = decode('weighing', JSON.stringify(weighing()));
    expect(r).toMatchObject({ ok: true, value: { entry: 'normal', netKg: 12.34 } });
  });

  it('names the offending field of an invalid weighing', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ netKg: 'lots' }, /netKg/],
      [{ collectType: undefined }, /collectType/],
      [{ direction: 'out' }, /destination/],
      [{ netKg: -2 }, /netKg/],
      [{ entry: 'void' }, /netKg.*negative/],
      [{ category: 'Textile Bleu' }, /category/],
      [{ extra: 1 }, /extra/],
      [{ capturedAt: 'yesterday' }, /capturedAt/],
    ];
    for (const [over, reason] of cases) {
      const r = decode('weighing', JSON.stringify(weighing(over)));
      expect(r.ok, JSON.stringify(over)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });

  it('bounds every quantity to what a scale weighs or a door counts, void entries included', () => {
    const bon = { v: 1, id: randomUUID(), seq: 1, bonId: 'b-1', capturedAt: '2026-03-29T21:30:00.000Z', closedAt: '2026-03-29T21:40:00.000Z', clockSynced: true, state: 'closed', direction: 'in', collectType: 'apport-volontaire', lines: 2, netKg: 30 };
    const visits = { v: 1, id: randomUUID(), seq: 1, bucketStart: '2026-03-29T21:30:00.000Z', bucketSeconds: 60, clockSynced: true, in: 3, out: 1 };
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['weighing', weighing({ netKg: 1e308 }), /netKg: beyond the 100000 kg/],
      ['weighing', weighing({ netKg: MAX_KG + 0.01 }), /netKg/],
      ['weighing', weighing({ grossKg: 1e308 }), /grossKg/],
      ['weighing', weighing({ tareKg: 2e5 }), /tareKg/],
      ['weighing', weighing({ entry: 'void', netKg: -1e308, voids: randomUUID(), voidedAt: '2026-03-29T21:31:00.000Z' }), /netKg/],
      ['weighing', weighing({ seq: 2 ** 60 }), /seq/],
      ['bon', { ...bon, netKg: 1e308 }, /netKg/],
      ['bon', { ...bon, netKg: 2 * MAX_KG + 1 }, /2 lines weigh at most/],
      ['bon', { ...bon, lines: 1e9 }, /lines/],
      ['visits', { ...visits, in: 1e15 }, /in: beyond/],
      ['visits', { ...visits, out: 2 ** 60 }, /out/],
    ];
    for (const [kind, payload, reason] of refused) {
      expect(decode(kind as 'weighing', JSON.stringify(payload)), JSON.stringify(payload)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
    }
    // JSON.parse makes Infinity of 1e999: refused as the others.
    expect(decode('weighing', JSON.stringify(weighing()).replace('12.34', '1e999'))).toMatchObject({ ok: false, reason: expect.stringMatching(/netKg/) });
    expect(decode('weighing', JSON.stringify(weighing({ netKg: MAX_KG, grossKg: MAX_KG }))).ok).toBe(true);
    expect(decode('bon', JSON.stringify({ ...bon, netKg: 2 * MAX_KG })).ok).toBe(true);
  });

  it('refuses non-JSON, oversized and wrong-kind payloads', () => {
    expect(decode('weighing', Buffer.from([0xff, 0x00, 0x7b]))).toEqual({ ok: false, reason: 'payload is not JSON' });
    expect(decode('receipt', 'x'.repeat(600_000))).toMatchObject({ ok: false, reason: expect.stringMatching(/exceeds/) });
    expect(decode('receipt', JSON.stringify({ v: 1, ids: [] })).ok).toBe(false);
    expect(decode('live', JSON.stringify({ v: 1, t: '2026-01-01T00:00:00Z', kg: null, state: 'offline' })).ok).toBe(true);
  });

  it("takes a device's last reading in health, and still takes an older agent's health without it", () => {
    const health = (device: Record<string, unknown>) => JSON.stringify({ v: 1, t: '2026-03-14T10:00:05.000Z', outbox: { depth: 0, oldestAgeS: null }, devices: { porte: { errors: 0, state: 'ok', ...device } }, diskFreeBytes: null, clock: { synced: true } });
    expect(decode('health', health({}))).toMatchObject({ ok: true, value: { devices: { porte: { state: 'ok' } } } });
    expect(decode('health', health({ lastReadingAt: '2026-03-14T10:00:04.200Z' }))).toMatchObject({ ok: true, value: { devices: { porte: { lastReadingAt: '2026-03-14T10:00:04.200Z' } } } });
    expect(decode('health', health({ lastReadingAt: null })).ok).toBe(true);
    for (const bad of ['hier', 1_710_410_404_200, '2026-03-14 10:00:04']) {
      expect(decode('health', health({ lastReadingAt: bad }))).toMatchObject({ ok: false, reason: expect.stringMatching(/devices\.porte\.lastReadingAt/) });
    }
  });
});

describe('units', () => {
  it('converts to kg keeping the scale resolution', () => {
    expect(toKg(123.45, 'g', 2)).toBe(0.12345);
    expect(toKg(12.34, 'kg', 2)).toBe(12.34);
    expect(toKg(1.234, 't', 3)).toBe(1234);
    expect(toKg(12.3, 'lb', 1)).toBe(5.579);
  });
});

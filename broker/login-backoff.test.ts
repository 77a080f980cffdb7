import { describe, expect, it } from 'vitest';
import { LoginBackoff } from './login-backoff.js';

describe('the login backoff', () => {
  const config = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 };
  const clock = () => {
    const c = { t: 0, now: () => c.t };
    return c;
  };

  it('refuses an address after its free failures, for a delay that doubles up to the maximum', () => {
    const c = clock();
    const b = new LoginBackoff(config, c.now);
    expect([b.failed('10.0.0.1', 'ingest'), b.failed('10.0.0.1', 'ingest'), b.failed('10.0.0.1', 'ingest')]).toEqual([undefined, undefined, undefined]);
    expect(b.refusedForMs('10.0.0.1', 'ingest')).toBe(0);
    const delays = [1, 2, 3, 4, 5].map(() => b.failed('10.0.0.1', 'ingest'));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(b.refusedForMs('10.0.0.1', 'dashboards')).toBe(8000);
    c.t += 8000;
    expect(b.refusedForMs('10.0.0.1', 'dashboards')).toBe(0);
  });

  it('refuses a user guessed at from many addresses, except at an address it logged in from', () => {
    const b = new LoginBackoff(config, clock().now);
    b.succeeded('10.0.0.9', 'agent.lilas.comptoir');
    for (let i = 0; i < 4; i++) b.failed(`192.0.2.${i}`, 'agent.lilas.comptoir');
    expect(b.refusedForMs('192.0.2.200', 'agent.lilas.comptoir')).toBe(1000);
    expect(b.refusedForMs('10.0.0.9', 'agent.lilas.comptoir')).toBe(0);
  });

  it('never holds back a user at an address it logged in from, whoever guesses there', () => {
    const b = new LoginBackoff(config, clock().now);
    b.succeeded('127.0.0.1', 'ingest');
    // Someone on the same machine guesses names and passwords: the address is held back for them…
    for (let i = 0; i < 5; i++) b.failed('127.0.0.1', `guess-${i}`);
    expect(b.refusedForMs('127.0.0.1', 'guess-9')).toBe(2000);
    expect(b.refusedForMs('127.0.0.1', 'dashboards')).toBe(2000);
    // …but not ingest, which logs in from there.
    expect(b.refusedForMs('127.0.0.1', 'ingest')).toBe(0);
  });

  it('forgets failures on success and after a quiet period as long as the longest delay', () => {
    const c = clock();
    const b = new LoginBackoff(config, c.now);
    for (let i = 0; i < 3; i++) b.failed('10.0.0.1', 'ingest');
    b.succeeded('10.0.0.1', 'ingest');
    expect(b.failed('10.0.0.1', 'ingest')).toBeUndefined();
    for (let i = 0; i < 2; i++) b.failed('10.0.0.2', 'dashboards');
    c.t += 8001;
    expect(b.failed('10.0.0.2', 'dashboards')).toBeUndefined();
  });
});

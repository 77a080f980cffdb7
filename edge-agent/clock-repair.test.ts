import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClockRepair, monotonicMs } from './clock-repair.js';

const wrong = { now: () => Date.parse('1970-01-01T00:10:00Z'), synced: () => false };
const right = { now: () => Date.now(), synced: () => true };

describe('clock repair', () => {
  it('holds an unsynchronised capture, then repairs it the same way at every resend and after an agent restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-clockrepair-'));
    const repair = await ClockRepair.open(dir);
    const stamp = repair.stamp(wrong, wrong.now());
    expect(stamp).toMatchObject({ clockSynced: false, clockRef: { boot: repair.boot } });
    const payload = JSON.stringify({ id: 'x', capturedAt: '1970-01-01T00:10:00.000Z', ...stamp });
    expect(repair.prepare(payload)).toBeUndefined(); // held while the clock is wrong

    repair.noteSynced(right);
    const first = JSON.parse(repair.prepare(payload)!) as { capturedAt: string; clockRepaired: boolean; clockSynced: boolean };
    expect(first.clockRepaired).toBe(true);
    expect(first.clockSynced).toBe(false); // still says the clock was not synchronised at capture
    expect(Math.abs(Date.parse(first.capturedAt) - Date.now())).toBeLessThan(1000);
    expect(repair.prepare(payload)).toBe(repair.prepare(payload)); // deterministic: a resend overwrites itself

    const restarted = await ClockRepair.open(dir); // same boot, new agent process
    expect(restarted.prepare(payload)).toBe(repair.prepare(payload));
  });

  it('sends as they are events from a boot that never synchronised, and events captured synchronised', async () => {
    const repair = await ClockRepair.open(mkdtempSync(join(tmpdir(), 'tb-clockrepair-')));
    repair.noteSynced(right);
    const otherBoot = JSON.stringify({ id: 'y', capturedAt: '1970-01-01T00:10:00.000Z', clockSynced: false, clockRef: { boot: 'an-earlier-boot', monoMs: monotonicMs() } });
    expect(repair.prepare(otherBoot)).toBe(otherBoot);
    const synced = JSON.stringify({ id: 'z', capturedAt: new Date().toISOString(), clockSynced: true });
    expect(repair.prepare(synced)).toBe(synced);
    expect(repair.stamp(right, Date.now())).toEqual({ clockSynced: true });
  });
});

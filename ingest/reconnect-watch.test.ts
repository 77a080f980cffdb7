import { describe, expect, it } from 'vitest';
import { ReconnectWatch } from './reconnect-watch.js';

describe('ReconnectWatch', () => {
  it('warns at the fifth connection within a minute, then once a minute while it lasts', () => {
    let t = 0;
    const watch = new ReconnectWatch(() => t);
    const warnings: number[] = [];
    for (let i = 0; i < 130; i++, t += 1_000) if (watch.connected()) warnings.push(t);
    expect(warnings).toEqual([4_000, 64_000, 124_000]);
  });

  it('stays quiet for reconnections after outages, minutes apart', () => {
    let t = 0;
    const watch = new ReconnectWatch(() => t);
    for (let i = 0; i < 20; i++, t += 30_000) expect(watch.connected()).toBe(false);
  });
});

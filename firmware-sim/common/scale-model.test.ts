import { describe, expect, it } from 'vitest';
import { ScaleModel } from './scale-model.js';

describe('ScaleModel', () => {
  it('settles after a load change; a swaying load stays moving however long it lasts, then settles', () => {
    let now = 0;
    const model = new ScaleModel({ settleMs: [100, 100], now: () => now });
    model.load(6);
    expect(model.display().status).toBe('unstable');
    now = 150;
    expect(model.display()).toMatchObject({ status: 'stable', value: 6 });
    model.setSwaying(true);
    now = 60_000;
    expect(model.display().status).toBe('unstable');
    model.setSwaying(false);
    expect(model.display().status).toBe('unstable');
    now = 60_150;
    expect(model.display()).toMatchObject({ status: 'stable', value: 6 });
  });
});

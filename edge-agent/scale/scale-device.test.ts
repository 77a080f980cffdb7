import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScaleDevice } from './scale-device.js';
import type { ScaleDriver, ScaleDriverEvents } from '../drivers/scale.js';
import type { DeviceState } from '../../protocol/index.js';

/** A driver whose events the test emits by hand: the device logic is what is under test here. */
class HandDriver extends EventEmitter<ScaleDriverEvents> implements ScaleDriver {
  start() {}
  async stop() {}
}

describe('scale device health', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function device() {
    const driver = new HandDriver();
    const dev = new ScaleDevice('balance-1', driver, { minKg: 0.2, rearmBelowKg: 0.05 }, 5, () => Date.now());
    const states: DeviceState['state'][] = [];
    dev.on('state', (s) => states.push(s.state));
    return { driver, dev, states };
  }

  it('is ok as soon as the link opens, degraded only after 5 s without a reading', () => {
    const { driver, dev, states } = device();
    driver.emit('link', 'open');
    expect(states).toEqual(['ok']);
    vi.advanceTimersByTime(4000);
    driver.emit('reading', { kind: 'mass', kg: 0, stable: true, net: false }, 'ST,GS,+0.00kg');
    vi.advanceTimersByTime(4000);
    expect(states).toEqual(['ok']);
    vi.advanceTimersByTime(2000);
    expect(states).toEqual(['ok', 'degraded']);
    expect(dev.health()).toMatchObject({ state: 'degraded', detail: 'no reading from the scale' });
    void dev.stop();
  });

  it('is degraded after three bad frames in a row, ok again at the next good one, offline when the link drops', () => {
    const { driver, dev, states } = device();
    driver.emit('link', 'open');
    for (let i = 0; i < 3; i++) driver.emit('frameError', { reason: 'no ST,GS header', raw: 'garbage' });
    expect(dev.health()).toMatchObject({ state: 'degraded', consecutiveErrors: 3, detail: 'no ST,GS header: garbage' });
    driver.emit('reading', { kind: 'mass', kg: 1, stable: false, net: false }, 'US,GS,+1.00kg');
    expect(dev.health()).toMatchObject({ state: 'ok', consecutiveErrors: 0 });
    expect(dev.errors).toBe(3);
    driver.emit('link', 'closed', 'disconnected: EIO');
    expect(states).toEqual(['ok', 'degraded', 'ok', 'offline']);
    expect(dev.health()).toMatchObject({ state: 'offline', detail: 'disconnected: EIO' });
    expect(dev.live).toEqual({ kg: null, state: 'offline' });
    void dev.stop();
  });

  it('emits a weighing with its capture time from the readings', () => {
    const { driver, dev } = device();
    const taken: [number, number][] = [];
    dev.on('weighing', (load, at) => taken.push([load.netKg, at]));
    driver.emit('link', 'open');
    driver.emit('reading', { kind: 'mass', kg: 0, stable: true, net: false }, '');
    driver.emit('reading', { kind: 'mass', kg: 4.2, stable: true, net: false }, '');
    expect(taken).toEqual([[4.2, Date.now()]]);
    void dev.stop();
  });
});

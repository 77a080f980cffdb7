import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DoorCounter } from '../edge-agent/counters/door-counter.js';
import { SimulatedSerialCounter } from '../firmware-sim/counters/simulated-serial-counter.js';
import { openWhenRead } from './up-simulation.js';

/** The agent's side of a door as openWhenRead sees it: its health, and the events that say it changed. */
class ReadDoor extends EventEmitter {
  health = { lastReadingAt: null as string | null };
  read(): void {
    this.health = { lastReadingAt: new Date().toISOString() };
    this.emit('notice', { level: 'info', message: 'baseline in=0 out=0' });
  }
}

describe('the simulated shop opens once the agent reads its door', () => {
  it('lets nobody in before the first reading (a baseline, which counts none), then lets them in, those waiting at opening first', () => {
    const door = new SimulatedSerialCounter({ seed: 4, waitingAtOpening: 4, customersPerDay: 180, openHours: 8, closedHours: 16 });
    door.setOpen(false);
    const agentSide = new ReadDoor();
    openWhenRead(door, agentSide as unknown as DoorCounter);
    door.advance(600);
    expect(door.counted.in).toBe(0);

    agentSide.read();
    door.advance(1);
    // The four who came to the opening walk in at once, not back at the opening time.
    expect(door.counted.in).toBe(4);
    door.advance(3600);
    expect(door.counted.in).toBeGreaterThan(4);
    expect(agentSide.listenerCount('notice') + agentSide.listenerCount('state')).toBe(0);
  });

  it('opens at once a door the agent already reads', () => {
    const door = new SimulatedSerialCounter({ seed: 4, waitingAtOpening: 2 });
    door.setOpen(false);
    const agentSide = new ReadDoor();
    agentSide.read();
    openWhenRead(door, agentSide as unknown as DoorCounter);
    door.advance(200);
    expect(door.counted.in).toBeGreaterThanOrEqual(2);
  });
});

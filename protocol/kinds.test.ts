import { describe, expect, it } from 'vitest';
import { AGENT_KINDS, DEVICE_KINDS, INGEST_READ_KINDS, INGEST_SENT_KINDS, KINDS, STORED_KINDS, UNPACKED_KINDS, WATCHED_KINDS } from './kinds.js';

describe('the table of message kinds', () => {
  it('puts every kind at one level, and the lists derived from it partition the table', () => {
    expect([...DEVICE_KINDS, ...AGENT_KINDS].sort()).toEqual(Object.keys(KINDS).sort());
    expect(DEVICE_KINDS).toEqual(['weighing', 'visits', 'live']);
    expect(AGENT_KINDS).toEqual(['bon', 'status', 'health', 'batch', 'receipt', 'deadletter', 'accepts']);
    expect(STORED_KINDS).toEqual(['weighing', 'visits', 'bon']);
    expect(UNPACKED_KINDS).toEqual(['batch']);
    expect(WATCHED_KINDS).toEqual(['status']);
    expect(INGEST_READ_KINDS).toEqual(['weighing', 'visits', 'bon', 'status', 'batch']);
    expect(INGEST_SENT_KINDS).toEqual(['receipt', 'deadletter', 'accepts']);
  });

  it('stores only events an agent sends at QoS 1: the outbox forgets an event only on its receipt', () => {
    for (const kind of [...STORED_KINDS, ...UNPACKED_KINDS]) {
      expect(KINDS[kind].sender, kind).toBe('agent');
      expect(KINDS[kind].delivery, kind).toEqual({ qos: 1, retain: false });
    }
  });

  it('sends what ingest sends at the agent level, to one agent', () => {
    for (const kind of INGEST_SENT_KINDS) expect(KINDS[kind].level, kind).toBe('agent');
  });
});

import { describe, expect, it } from 'vitest';
import { AGENT_KINDS, DEVICE_KINDS, INGEST_SENT_KINDS, KINDS, STORED_KINDS, WATCHED_KINDS } from './kinds.js';

describe('the table of message kinds', () => {
  it('puts every kind at one level, and the lists derived from it partition the table', () => {
    expect([...DEVICE_KINDS, ...AGENT_KINDS].sort()).toEqual(Object.keys(KINDS).sort());
    expect(DEVICE_KINDS).toEqual(['weighing', 'visits', 'live']);
    expect(AGENT_KINDS).toEqual(['bon', 'status', 'health', 'receipt', 'deadletter']);
    expect(STORED_KINDS).toEqual(['weighing', 'visits', 'bon']);
    expect(WATCHED_KINDS).toEqual(['status']);
    expect(INGEST_SENT_KINDS).toEqual(['receipt', 'deadletter']);
  });

  it('stores only events an agent sends at QoS 1: the outbox forgets an event only on its receipt', () => {
    for (const kind of STORED_KINDS) {
      expect(KINDS[kind].sender, kind).toBe('agent');
      expect(KINDS[kind].delivery, kind).toEqual({ qos: 1, retain: false });
    }
  });

  it('sends what ingest sends at the agent level, to one agent', () => {
    for (const kind of INGEST_SENT_KINDS) expect(KINDS[kind].level, kind).toBe('agent');
  });
});

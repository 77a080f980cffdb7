import { describe, expect, it } from 'vitest';
import { boundClientId, clientIdBelongsTo } from './mqtt-client-id.js';

describe('client ids bound to their user', () => {
  it('accepts the username itself or the username, a colon and a suffix', () => {
    expect(clientIdBelongsTo('agent.lilas.comptoir', 'agent.lilas.comptoir')).toBe(true);
    expect(clientIdBelongsTo('ingest:a1b2', 'ingest')).toBe(true);
    for (const id of ['ingest:', 'ingest2', 'ingest-a1b2', 'agent.lilas.comptoir', 'trebuchet-agent-lilas-comptoir']) expect(clientIdBelongsTo(id, 'ingest'), id).toBe(false);
    // Another agent whose name extends this one's cannot be reached: slugs never hold a colon.
    expect(clientIdBelongsTo('agent.lilas.comptoir-2', 'agent.lilas.comptoir')).toBe(false);
  });

  it('binds what a component asks for to its user', () => {
    expect(boundClientId('agent.lilas.comptoir')).toBe('agent.lilas.comptoir');
    expect(boundClientId('ingest', 'trebuchet-ingest-a1b2')).toBe('ingest:trebuchet-ingest-a1b2');
    expect(boundClientId('ingest', 'ingest:a1b2')).toBe('ingest:a1b2');
  });
});

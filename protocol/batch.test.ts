import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agentTopic, batchMessages, decode, deviceTopic, MAX_BATCH_EVENTS, unbatch, type TopicPayload } from './index.js';

const weighing = (device: string, operator = 'Zoé'): TopicPayload => ({
  topic: deviceTopic('lilas', 'comptoir', device, 'weighing'),
  payload: JSON.stringify({ v: 1, id: randomUUID(), seq: 1, capturedAt: '2026-03-29T21:30:00.000Z', clockSynced: true, netKg: 12.5, direction: 'in', category: 'textile', collectType: 'apport-volontaire', source: 'manual', operator }),
});
const bon = (): TopicPayload => ({ topic: agentTopic('lilas', 'comptoir', 'bon'), payload: '{"v":1}' });
const bytes = (s: string) => Buffer.byteLength(s);
const batchTopic = agentTopic('lilas', 'comptoir', 'batch');

describe('batches', () => {
  it('carries each event as the exact single message it stands for, and unpacks to the same topics and bytes', () => {
    const events = [weighing('balance-1'), weighing('balance-2'), bon()];
    const [message, ...rest] = batchMessages('lilas', 'comptoir', events, { maxEvents: 100, maxBytes: 64 * 1024 });
    expect(rest).toEqual([]);
    expect(message!.topic).toBe(batchTopic);
    const batch = decode('batch', message!.payload);
    if (!batch.ok) throw new Error(batch.reason);
    // The envelope is what JSON.stringify of the whole would give.
    expect(message!.payload).toBe(JSON.stringify(batch.value));
    expect(unbatch('lilas', 'comptoir', batch.value)).toEqual(events);
  });

  it('cuts at the offered count and bytes (UTF-8 bytes, not characters), in order', () => {
    const events = Array.from({ length: 250 }, (_, i) => weighing(`balance-${i % 3}`, 'é'.repeat(40)));
    const limits = { maxEvents: 60, maxBytes: 16 * 1024 };
    const messages = batchMessages('lilas', 'comptoir', events, limits);
    const unpacked = messages.flatMap((m) => {
      expect(m.topic).toBe(batchTopic);
      expect(bytes(m.payload)).toBeLessThanOrEqual(limits.maxBytes);
      const batch = decode('batch', m.payload);
      if (!batch.ok) throw new Error(batch.reason);
      expect(batch.value.events.length).toBeLessThanOrEqual(limits.maxEvents);
      return unbatch('lilas', 'comptoir', batch.value);
    });
    expect(unpacked).toEqual(events);
    // Filled close to the byte limit: the cut is not a crude estimate.
    expect(bytes(messages[0]!.payload)).toBeGreaterThan(limits.maxBytes - bytes(JSON.stringify({ device: 'balance-0', kind: 'weighing', payload: events[0]!.payload })) - 2);
    const counted = batchMessages('lilas', 'comptoir', events, { maxEvents: 60, maxBytes: 512 * 1024 });
    expect(counted.map((m) => decode('batch', m.payload)).map((b) => (b.ok ? b.value.events.length : -1))).toEqual([60, 60, 60, 60, 10]);
  });

  it('sends a lone event, an event too big for any batch, and a topic not of this agent as single messages', () => {
    const lone = weighing('balance-1');
    expect(batchMessages('lilas', 'comptoir', [lone], { maxEvents: 100, maxBytes: 64 * 1024 })).toEqual([lone]);
    const big = { ...weighing('balance-1'), payload: JSON.stringify({ v: 1, comment: 'x'.repeat(5000) }) };
    const small = [weighing('balance-1'), weighing('balance-2')];
    const foreign = weighing('balance-1');
    foreign.topic = deviceTopic('lilas', 'entree', 'balance-1', 'weighing');
    const messages = batchMessages('lilas', 'comptoir', [...small, big, foreign, ...small], { maxEvents: 100, maxBytes: 4096 });
    expect(messages.map((m) => m.topic)).toEqual([batchTopic, big.topic, foreign.topic, batchTopic]);
    expect(messages.map((m) => m.payload).slice(1, 3)).toEqual([big.payload, foreign.payload]);
  });

  it('refuses an envelope beyond the contract, and leaves the items to be judged one by one', () => {
    const item = { device: 'balance-1', kind: 'weighing', payload: '{}' };
    expect(decode('batch', JSON.stringify({ v: 1, events: [] })).ok).toBe(false);
    expect(decode('batch', JSON.stringify({ v: 1, events: Array(MAX_BATCH_EVENTS + 1).fill(item) })).ok).toBe(false);
    expect(decode('batch', JSON.stringify({ v: 1, events: [{ ...item, id: 'x' }] })).ok).toBe(false);
    // A bad device or kind is the item's fault, found when its topic is parsed, not the batch's.
    const odd = decode('batch', JSON.stringify({ v: 1, events: [item, { ...item, device: '../x', kind: 'live' }] }));
    expect(odd.ok).toBe(true);
    if (odd.ok) expect(unbatch('lilas', 'comptoir', odd.value)[1]!.topic).toBe('tb/v1/lilas/comptoir/../x/live');
  });

  it('reads an offer it knows, and ignores what a later ingest may offer besides', () => {
    const offer = decode('accepts', JSON.stringify({ v: 1, batch: { maxEvents: 500, maxBytes: 262144 }, compression: 'zstd' }));
    expect(offer).toEqual({ ok: true, value: { v: 1, batch: { maxEvents: 500, maxBytes: 262144 } } });
    expect(decode('accepts', JSON.stringify({ v: 1 })).ok).toBe(true);
    expect(decode('accepts', JSON.stringify({ v: 1, batch: { maxEvents: 1, maxBytes: 262144 } })).ok).toBe(false);
  });
});

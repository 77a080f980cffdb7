import { describe, expect, it } from 'vitest';
import { agentTopic, deviceTopic, kindFilter, KINDS, type Kind, type KindDefinition } from '../protocol/index.js';
import { mayPublish, mayRetain, maySubscribe } from './acl.js';
import type { BrokerUser } from './credentials.js';

const user = (role: BrokerUser['role'], site?: string, agent?: string): BrokerUser => ({ role, salt: '', hash: '', ...(site ? { site, agent } : {}) });
const comptoir = user('agent', 'lilas', 'comptoir');
const ingest = user('ingest');
const dashboards = user('dashboards');
const topicOf = (site: string, agent: string, kind: Kind) => (KINDS[kind].level === 'device' ? deviceTopic(site, agent, 'balance-1', kind as 'weighing') : agentTopic(site, agent, kind as 'status'));
const kinds = Object.keys(KINDS) as Kind[];

describe('the broker ACL, derived from the table of kinds', () => {
  it('retains only the kinds the contract retains', () => {
    for (const kind of kinds) expect(mayRetain(topicOf('lilas', 'comptoir', kind)), kind).toBe(KINDS[kind].delivery.retain);
    expect(mayRetain('tb/v1/lilas/comptoir/balance-1/status')).toBe(false);
  });

  it('lets an agent publish what agents send, under its own prefix only', () => {
    for (const kind of kinds) {
      expect(mayPublish(comptoir, topicOf('lilas', 'comptoir', kind)), kind).toBe(KINDS[kind].sender === 'agent');
      expect(mayPublish(comptoir, topicOf('lilas', 'entree', kind)), `${kind} of another agent`).toBe(false);
      expect(mayPublish(comptoir, topicOf('bercy', 'comptoir', kind)), `${kind} of another site`).toBe(false);
    }
    // A device level that is not a slug, a kind at the wrong level, a topic outside the contract.
    expect(mayPublish(comptoir, 'tb/v1/lilas/comptoir/Balance/weighing')).toBe(false);
    expect(mayPublish(comptoir, 'tb/v1/lilas/comptoir/_agent/weighing')).toBe(false);
    expect(mayPublish(comptoir, 'tb/v1/lilas/comptoir/balance-1/bon')).toBe(false);
    expect(mayPublish(comptoir, 'elsewhere/lilas/comptoir/balance-1/weighing')).toBe(false);
  });

  it('lets ingest publish what it sends to agents, and nothing else; dashboards publish nothing', () => {
    for (const kind of kinds) {
      expect(mayPublish(ingest, topicOf('lilas', 'comptoir', kind)), kind).toBe(KINDS[kind].sender === 'ingest');
      expect(mayPublish(dashboards, topicOf('lilas', 'comptoir', kind)), kind).toBe(false);
    }
  });

  it('lets an agent read only what ingest sends it', () => {
    for (const kind of kinds) {
      const own = KINDS[kind].level === 'agent' ? agentTopic('lilas', 'comptoir', kind as 'receipt') : deviceTopic('lilas', 'comptoir', 'balance-1', kind as 'live');
      expect(maySubscribe(comptoir, own), kind).toBe(KINDS[kind].sender === 'ingest');
      expect(maySubscribe(comptoir, kind === 'receipt' ? agentTopic('lilas', 'entree', 'receipt') : own.replace('comptoir', 'entree')), `${kind} of another agent`).toBe(false);
    }
    expect(maySubscribe(comptoir, 'tb/v1/#')).toBe(false);
  });

  it('lets ingest read the kinds it stores or watches, shared or not, and no wildcard kind', () => {
    for (const kind of kinds) {
      const reads = (KINDS[kind] as KindDefinition).ingest !== undefined;
      expect(maySubscribe(ingest, kindFilter(kind)), kind).toBe(reads);
      expect(maySubscribe(ingest, `$share/ingest/${kindFilter(kind)}`), `shared ${kind}`).toBe(reads);
    }
    expect(maySubscribe(ingest, 'tb/v1/#')).toBe(false);
    expect(maySubscribe(ingest, 'tb/v1/+/+/+/+')).toBe(false);
    expect(maySubscribe(ingest, 'tb/v1/+/+/weighing')).toBe(false);
    expect(maySubscribe(dashboards, 'tb/v1/#')).toBe(true);
    expect(maySubscribe(dashboards, '$SYS/#')).toBe(false);
  });
});

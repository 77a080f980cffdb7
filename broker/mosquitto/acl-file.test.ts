import { describe, expect, it } from 'vitest';
import { KINDS, TOPIC_ROOT, agentUsername, type Kind } from '../../protocol/index.js';
import { mayPublish, maySubscribe } from '../acl.js';
import type { BrokerUser } from '../credentials.js';
import { mosquittoAclFile, mosquittoAclRules, type MosquittoAclRule } from './acl-file.js';

const user = (role: BrokerUser['role'], site?: string, agent?: string): BrokerUser => ({ role, salt: '', hash: '', ...(site ? { site, agent } : {}) });
const users = { comptoir: user('agent', 'lilas', 'comptoir'), ingest: user('ingest'), dashboards: user('dashboards'), prefixless: user('agent') };

/** MQTT filter matching, as Mosquitto applies an ACL line to a concrete topic. */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
const allows = (rules: MosquittoAclRule[], access: 'read' | 'write', topic: string) =>
  !rules.some((r) => r.access === 'deny' && matches(r.topic, topic)) && rules.some((r) => r.access === access && matches(r.topic, topic));

// Every kind at both levels, for its own agent, another agent and another site: valid topics and invalid ones.
const topics = ['lilas', 'bercy'].flatMap((site) =>
  ['comptoir', 'entree'].flatMap((agent) => ['balance-1', '_agent'].flatMap((device) => (Object.keys(KINDS) as Kind[]).map((kind) => `${TOPIC_ROOT}/${site}/${agent}/${device}/${kind}`))),
);

describe('the Mosquitto ACL, derived from the table of kinds', () => {
  for (const [name, u] of Object.entries(users)) {
    it(`allows ${name} exactly what broker/acl.ts allows, on every kind at every level`, () => {
      const rules = mosquittoAclRules(u);
      for (const topic of topics) {
        expect(allows(rules, 'write', topic), `publish ${topic}`).toBe(mayPublish(u, topic));
        expect(allows(rules, 'read', topic), `read ${topic}`).toBe(maySubscribe(u, topic));
      }
    });
  }

  it('writes one block per user, in Mosquitto syntax', () => {
    const file = mosquittoAclFile([[agentUsername('lilas', 'comptoir'), users.comptoir], ['dashboards', users.dashboards]]);
    expect(file).toContain('\nuser agent.lilas.comptoir\ntopic write tb/v1/lilas/comptoir/+/weighing\ntopic deny tb/v1/lilas/comptoir/_agent/weighing\n');
    expect(file).toContain('\ntopic read tb/v1/lilas/comptoir/_agent/receipt\n');
    expect(file).toMatch(/\n\nuser dashboards\ntopic read tb\/v1\/#\n$/);
  });
});

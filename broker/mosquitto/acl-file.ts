import { AGENT_DEVICE, AGENT_SENT_KINDS, INGEST_READ_KINDS, INGEST_SENT_KINDS, KINDS, TOPIC_ROOT, agentTopic, kindFilter, type AgentKind } from '../../protocol/index.js';
import type { BrokerUser } from '../credentials.js';

/** One line of a Mosquitto ACL file: `topic {access} {filter}` (deny lines win over grants, whatever their order). */
export interface MosquittoAclRule {
  access: 'read' | 'write' | 'deny';
  topic: string;
}

/**
 * What broker/acl.ts allows a user, as Mosquitto ACL rules, derived from the same table of kinds. Mosquitto
 * matches patterns only: a device level that is not a slug passes it (ingest dead-letters such a topic), and
 * it cannot drop a retain flag by kind, so an agent may retain a kind the contract does not.
 */
export function mosquittoAclRules(user: BrokerUser): MosquittoAclRule[] {
  switch (user.role) {
    case 'agent': {
      const { site, agent } = user;
      // Without its prefix an agent may do nothing, as in broker/acl.ts.
      if (!site || !agent) return [];
      return [
        ...AGENT_SENT_KINDS.flatMap((kind): MosquittoAclRule[] =>
          KINDS[kind].level === 'device'
            ? [
                { access: 'write', topic: `${TOPIC_ROOT}/${site}/${agent}/+/${kind}` },
                // `+` also matches the reserved `_agent` level, where a device kind is not part of the contract.
                { access: 'deny', topic: `${TOPIC_ROOT}/${site}/${agent}/${AGENT_DEVICE}/${kind}` },
              ]
            : [{ access: 'write', topic: agentTopic(site, agent, kind as AgentKind) }],
        ),
        ...INGEST_SENT_KINDS.map((kind): MosquittoAclRule => ({ access: 'read', topic: agentTopic(site, agent, kind) })),
      ];
    }
    case 'ingest':
      return [
        ...INGEST_SENT_KINDS.map((kind): MosquittoAclRule => ({ access: 'write', topic: agentTopic('+', '+', kind) })),
        ...INGEST_READ_KINDS.map((kind): MosquittoAclRule => ({ access: 'read', topic: kindFilter(kind) })),
      ];
    case 'dashboards':
      return [{ access: 'read', topic: `${TOPIC_ROOT}/#` }];
  }
}

/** The ACL file for these users (revoked ones left out by the caller): a user with no rule may do nothing. */
export function mosquittoAclFile(users: [string, BrokerUser][]): string {
  const blocks = users.map(([name, user]) => [`user ${name}`, ...mosquittoAclRules(user).map((r) => `topic ${r.access} ${r.topic}`)].join('\n'));
  return `# Written by \`trebuchet broker mosquitto-config\` from broker/users.json and protocol/kinds.ts: edit those, not this.\n\n${blocks.join('\n\n')}\n`;
}

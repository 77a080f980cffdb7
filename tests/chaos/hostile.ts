import { randomBytes, randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { agentUsername, decode, parseTopic } from '../../protocol/index.js';
import { AGENT, DOOR, SCALE, SITE, sleep, type BrokerCredentials, type Dice } from './harness.js';

/**
 * Malformed and hostile MQTT payloads, published with the agent's own credentials by a second client: the
 * broker's ACL confines it to the agent's topic prefix, so this is what a buggy firmware, a compromised
 * Pi or a fuzzer holding the agent's password can send. None of them is a valid event on its topic (each
 * is checked against the protocol's own decoder before it goes), so none may ever be stored as one.
 */

export const HUGE_LIMIT = 512 * 1024;

export type HostileKind =
  | 'random-bytes'
  | 'huge'
  | 'deep-nesting'
  | 'wrong-types'
  | 'extra-keys'
  | 'other-kinds'
  | 'unicode'
  | 'flood'
  | 'acl-refused';

export interface HostileMessage {
  kind: HostileKind;
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain?: boolean;
}

const prefix = `tb/v1/${SITE}/${AGENT}`;
const weighingTopic = `${prefix}/${SCALE}/weighing`;
const visitsTopic = `${prefix}/${DOOR}/visits`;

function validWeighing(seq: number): Record<string, unknown> {
  return {
    v: 1,
    id: randomUUID(),
    seq,
    capturedAt: new Date().toISOString(),
    clockSynced: true,
    netKg: 12.5,
    direction: 'in',
    category: 'textile',
    collectType: 'apport-volontaire',
    source: 'manual',
    entry: 'normal',
  };
}

function validVisits(seq: number): Record<string, unknown> {
  return { v: 1, id: randomUUID(), seq, bucketStart: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(), bucketSeconds: 1, clockSynced: true, in: 3, out: 1 };
}

/** Replacements that make a field wrong: wrong type, out of range, or not of the expected form. */
const WEIGHING_BREAKERS: Array<[string, unknown]> = [
  ['netKg', '12.5'],
  ['netKg', null],
  ['netKg', []],
  ['netKg', { kg: 1 }],
  ['netKg', true],
  ['netKg', -5],
  ['netKg', 0],
  ['seq', -1],
  ['seq', 1.5],
  ['seq', '3'],
  ['capturedAt', 1_700_000_000_000],
  ['capturedAt', 'yesterday'],
  ['capturedAt', '2024-13-45T25:61:00Z'],
  ['id', 42],
  ['id', 'not-a-uuid'],
  ['v', 2],
  ['v', '1'],
  ['direction', 'sideways'],
  ['category', 'Textile'],
  ['category', ''],
  ['category', 'a'.repeat(40)],
  ['category', 'text ile'],
  ['source', 'robot'],
  ['entry', 'void'],
  ['clockSynced', 'yes'],
  ['collectType', 42],
  ['bonId', ''],
  ['bonId', 'b'.repeat(65)],
  ['tareKg', -1],
];

const VISITS_BREAKERS: Array<[string, unknown]> = [
  ['in', -1],
  ['in', 1.5],
  ['in', '3'],
  ['out', null],
  ['bucketSeconds', 0],
  ['bucketSeconds', 86_401],
  ['bucketStart', 'now'],
  ['bucketStart', 0],
  ['id', 'x'],
  ['v', 0],
  ['seq', -2],
];

const UNICODE_STRINGS = [
  'mеubles', // Cyrillic е: a homoglyph of a category
  'textile\u0000',
  '📦📦📦',
  '\u202Eelitxet', // right-to-left override
  'te\u200Bxtile', // zero-width space
  'ｔｅｘｔｉｌｅ', // fullwidth
  '\uD800', // lone surrogate (escaped in JSON)
  'Ä'.repeat(300),
  'ﷺ'.repeat(50),
];

/**
 * Makes the i-th hostile message. The mix: random bytes, deep nesting, wrong types, extra keys, other kinds
 * on topics the ACL allows, unicode; huge ones at fixed places.
 */
export class HostileGenerator {
  private seq = 0;
  readonly hugeAt: Set<number>;

  constructor(
    private readonly dice: Dice,
    readonly total: number,
    /** Ids of events the agent really sent, for the forged receipts and dead letters the ACL must refuse. */
    private readonly recentIds: () => string[],
  ) {
    // Just under and just over 512 KiB, alternately, spread over the run (at least two of each).
    const huge = Math.max(4, Math.round(total / 5000));
    this.hugeAt = new Set(Array.from({ length: huge }, (_, k) => Math.floor(((k + 0.5) * total) / huge)));
  }

  make(i: number): HostileMessage {
    if (this.hugeAt.has(i)) return this.huge([...this.hugeAt].indexOf(i));
    const r = this.dice.float();
    if (r < 0.2) return this.randomBytes();
    if (r < 0.22) return this.deepNesting();
    if (r < 0.42) return this.wrongTypes();
    if (r < 0.6) return this.extraKeys();
    if (r < 0.8) return this.otherKinds();
    return this.unicode();
  }

  /** A tiny invalid message for floods. */
  flood(): HostileMessage {
    const payloads = ['{}', 'null', 'x', '[]', '{"v":1}', '', '0', '"weighing"'];
    return { kind: 'flood', topic: this.dice.pick([weighingTopic, visitsTopic]), payload: Buffer.from(this.dice.pick(payloads)), qos: 0 };
  }

  /** Publishes that the ACL must refuse: another agent's prefix, the agent's own receipts, a forged dead letter, non-slug levels. */
  refused(): HostileMessage {
    const w = Buffer.from(JSON.stringify(validWeighing(this.seq++)));
    const choices: Array<[string, Buffer]> = [
      [`tb/v1/${SITE}/autre-agent/${SCALE}/weighing`, w],
      [`tb/v1/autre-site/${AGENT}/${SCALE}/weighing`, w],
      [`${prefix}/_agent/receipt`, Buffer.from(JSON.stringify({ v: 1, ids: this.recentIds().slice(0, 5).concat(randomUUID()) }))],
      [`${prefix}/_agent/deadletter`, Buffer.from(JSON.stringify({ v: 1, id: this.recentIds()[0] ?? randomUUID(), topic: weighingTopic, reason: 'forged', firstBytes: '', at: new Date().toISOString() }))],
      ['tb/v1/+/x/y/weighing', w],
      ['$SYS/broker/forged', w],
      ['other/root/topic', w],
    ];
    const [topic, payload] = this.dice.pick(choices);
    return { kind: 'acl-refused', topic, payload, qos: this.dice.pick([0, 1] as const) };
  }

  private qos(): 0 | 1 {
    return this.dice.float() < 0.5 ? 0 : 1;
  }

  private eventTopic(): { topic: string; kind: 'weighing' | 'visits' } {
    return this.dice.float() < 0.6 ? { topic: weighingTopic, kind: 'weighing' } : { topic: visitsTopic, kind: 'visits' };
  }

  private randomBytes(): HostileMessage {
    const { topic } = this.eventTopic();
    const n = this.dice.float() < 0.9 ? this.dice.int(1, 256) : this.dice.int(257, 4096);
    return { kind: 'random-bytes', topic, payload: randomBytes(n), qos: this.qos() };
  }

  private huge(k: number): HostileMessage {
    const over = k % 2 === 1;
    const target = over ? HUGE_LIMIT + this.dice.int(1, 64) : HUGE_LIMIT - this.dice.int(1, 64);
    const { topic } = this.eventTopic();
    if (k % 4 >= 2) return { kind: 'huge', topic, payload: randomBytes(target), qos: 1 };
    // A weighing-looking object padded with an extra key up to the size.
    const head = JSON.stringify({ ...validWeighing(this.seq++), pad: '' });
    const pad = 'x'.repeat(Math.max(0, target - Buffer.byteLength(head)));
    return { kind: 'huge', topic, payload: Buffer.from(head.replace('"pad":""', `"pad":"${pad}"`)), qos: 1 };
  }

  private deepNesting(): HostileMessage {
    const depth = this.dice.int(1000, 20_000);
    const { topic } = this.eventTopic();
    const shapes = [
      () => `{"v":1,"id":"${randomUUID()}","netKg":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      () => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      () => `${'['.repeat(depth)}${']'.repeat(depth)}`,
      () => `${'['.repeat(depth)}`, // never closed
    ];
    return { kind: 'deep-nesting', topic, payload: Buffer.from(this.dice.pick(shapes)()), qos: this.qos() };
  }

  private wrongTypes(): HostileMessage {
    const { topic, kind } = this.eventTopic();
    const base = kind === 'weighing' ? validWeighing(this.seq++) : validVisits(this.seq++);
    const breakers = kind === 'weighing' ? WEIGHING_BREAKERS : VISITS_BREAKERS;
    const n = this.dice.int(1, 3);
    for (let j = 0; j < n; j++) {
      const [key, value] = this.dice.pick(breakers);
      base[key] = value;
    }
    if (this.dice.float() < 0.1) delete base[this.dice.pick(Object.keys(base))];
    return this.checked({ kind: 'wrong-types', topic, payload: Buffer.from(JSON.stringify(base)), qos: this.qos() });
  }

  private extraKeys(): HostileMessage {
    const { topic, kind } = this.eventTopic();
    const base = kind === 'weighing' ? validWeighing(this.seq++) : validVisits(this.seq++);
    const extras: Array<[string, unknown]> = [
      ['extra', 1],
      ['admin', true],
      ['constructor', { prototype: { polluted: true } }],
      ['toString', 'x'],
      ['site', 'autre-site'],
      ['agent', 'autre-agent'],
      ['device', 'autre'],
      ['ids', [randomUUID()]],
    ];
    const [key, value] = this.dice.pick(extras);
    let text = JSON.stringify({ ...base, [key]: value });
    // JSON.parse makes "__proto__" an own key: a prototype-pollution attempt must be refused like any extra key.
    if (this.dice.float() < 0.2) text = text.replace(/^\{/, '{"__proto__":{"polluted":true},');
    return this.checked({ kind: 'extra-keys', topic, payload: Buffer.from(text), qos: this.qos() });
  }

  private otherKinds(): HostileMessage {
    const w = validWeighing(this.seq++);
    const v = validVisits(this.seq++);
    const choices: Array<() => HostileMessage> = [
      // An event on the other event kind's topic.
      () => ({ kind: 'other-kinds', topic: visitsTopic, payload: Buffer.from(JSON.stringify(w)), qos: 1 }),
      () => ({ kind: 'other-kinds', topic: weighingTopic, payload: Buffer.from(JSON.stringify(v)), qos: 1 }),
      // A device the agent does not have, with an invalid payload.
      () => ({ kind: 'other-kinds', topic: `${prefix}/fantome/weighing`, payload: Buffer.from(JSON.stringify({ ...w, netKg: 'lourd' })), qos: 1 }),
      // Kinds ingest does not store, or stores only as state.
      () => ({ kind: 'other-kinds', topic: `${prefix}/${SCALE}/live`, payload: Buffer.from(JSON.stringify(w)), qos: 0 }),
      () => ({ kind: 'other-kinds', topic: `${prefix}/_agent/health`, payload: Buffer.from(JSON.stringify(v)), qos: 0 }),
      () => ({ kind: 'other-kinds', topic: `${prefix}/_agent/status`, payload: Buffer.from(JSON.stringify(w)), qos: 1 }),
      () => ({ kind: 'other-kinds', topic: `${prefix}/_agent/status`, payload: Buffer.from('{"v":1,"state":"online","installedAt":"yesterday"}'), qos: 1 }),
      () => ({ kind: 'other-kinds', topic: `${prefix}/_agent/status`, payload: Buffer.from('{"v":1,"state":"online","devices":{"balance":{"state":"exploded"}}}'), qos: 1 }),
    ];
    const m = this.dice.pick(choices)();
    return m.topic === weighingTopic || m.topic === visitsTopic || m.topic.endsWith('/weighing') ? this.checked(m) : m;
  }

  private unicode(): HostileMessage {
    const { topic, kind } = this.eventTopic();
    const s = this.dice.pick(UNICODE_STRINGS);
    const choices: Array<() => Buffer> = [
      () => Buffer.from(JSON.stringify({ ...(kind === 'weighing' ? validWeighing(this.seq++) : validVisits(this.seq++)), category: s })),
      () => Buffer.from(JSON.stringify({ [s]: 1, v: 1 })),
      () => Buffer.from(`{"v":1,"id":"${randomUUID()}","netKg":"١٢٫٥"}`), // Arabic-Indic digits
      () => Buffer.concat([Buffer.from('{"v":1,"category":"'), Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xff, 0xfe]), Buffer.from('"}')]), // invalid UTF-8
      () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"v":1,"netKg":"BOM"}')]), // a BOM before invalid JSON
      () => Buffer.from(`{"v":1,"id":"${randomUUID()}","category":"\\ud800\\udfff\\ud800"}`),
      () => Buffer.from(s),
    ];
    return this.checked({ kind: 'unicode', topic, payload: this.dice.pick(choices)(), qos: this.qos() });
  }

  /** Makes sure a message is not a valid event for its topic (a valid one would rightly be stored). */
  private checked(m: HostileMessage): HostileMessage {
    const parsed = parseTopic(m.topic);
    if (parsed.ok && (parsed.parts.kind === 'weighing' || parsed.parts.kind === 'visits') && decode(parsed.parts.kind, m.payload).ok) {
      return { ...m, payload: Buffer.from(`${m.payload.toString()}!`) };
    }
    return m;
  }
}

/**
 * Forged messages: not garbage but lies that pass for the agent's own. A malformed copy of an event the
 * agent really sent, carrying its id: ingest refuses it, and tells the agent so, naming that id.
 */
export function malformedCopy(id: string, variant: number): HostileMessage {
  const payloads = [`{"v":1,"id":"${id}","netKg":"x"}`, `{"v":1,"id":"${id}"}`, JSON.stringify({ ...validWeighing(0), id, netKg: -1 })];
  return { kind: 'wrong-types', topic: weighingTopic, payload: Buffer.from(payloads[variant % payloads.length]!), qos: 1 };
}

/** A status that passes the schema but says the agent was installed in 2099. */
export function futureInstallStatus(): HostileMessage {
  return {
    kind: 'other-kinds',
    topic: `${prefix}/_agent/status`,
    payload: Buffer.from(JSON.stringify({ v: 1, state: 'online', t: new Date().toISOString(), installedAt: '2099-01-01T00:00:00.000Z' })),
    qos: 1,
  };
}

/** A client with the agent's credentials (another client id), for forged messages. */
export async function agentImpostor(brokerPort: number, credentials: BrokerCredentials): Promise<MqttClient> {
  const username = agentUsername(SITE, AGENT);
  const client = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
    username,
    password: credentials.password(username),
    clientId: `${username}:chaos-impostor-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 300,
    connectTimeout: 5000,
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('impostor client could not connect')), 15_000);
    client.once('connect', () => {
      clearTimeout(t);
      resolve();
    });
  });
  return client;
}

export interface HostileReport {
  published: number;
  byKind: Record<string, number>;
  /** Barrier publishes that got no PUBACK in time (the client was disconnected meanwhile). */
  stalls: number;
  disconnects: number;
}

/**
 * Publishes `total` hostile messages, interleaved with the valid traffic already flowing: chunks of
 * messages (QoS 0 and 1), a flood burst now and then, a few ACL-refused publishes on throw-away
 * connections, and a QoS 1 barrier after each chunk so that the broker's pace holds the rate.
 */
export async function publishHostile(opts: {
  brokerPort: number;
  credentials: BrokerCredentials;
  total: number;
  dice: Dice;
  recentIds: () => string[];
  /** Messages per second at most (default 2000). */
  ratePerS?: number;
}): Promise<HostileReport> {
  const username = agentUsername(SITE, AGENT);
  const password = opts.credentials.password(username);
  const gen = new HostileGenerator(opts.dice, opts.total, opts.recentIds);
  const report: HostileReport = { published: 0, byKind: {}, stalls: 0, disconnects: 0 };
  const count = (m: HostileMessage) => {
    report.published++;
    report.byKind[m.kind] = (report.byKind[m.kind] ?? 0) + 1;
  };
  const client = await agentImpostor(opts.brokerPort, opts.credentials);
  client.on('close', () => report.disconnects++);

  const refusedTotal = Math.max(5, Math.round(opts.total / 5000));
  const floodTotal = Math.round(opts.total * 0.2);
  const mainTotal = opts.total - refusedTotal - floodTotal;
  const rate = opts.ratePerS ?? 2000;
  const chunk = 200;
  const floodBurst = 500;
  let floodLeft = floodTotal;
  let refusedLeft = refusedTotal;
  const started = Date.now();
  const refusedEvery = Math.max(1, Math.floor(mainTotal / chunk / refusedTotal));
  let chunkNo = 0;

  for (let i = 0; i < mainTotal; ) {
    const end = Math.min(mainTotal, i + chunk);
    let last: HostileMessage | undefined;
    for (; i < end - 1; i++) {
      const m = gen.make(i);
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain ?? false });
      count(m);
    }
    // The chunk's last message is the barrier: its PUBACK (or a timeout) paces the publisher.
    last = gen.make(i++);
    count(last);
    const acked = await Promise.race([
      client.publishAsync(last.topic, last.payload, { qos: 1 }).then(
        () => true,
        () => true,
      ),
      sleep(30_000).then(() => false),
    ]);
    if (!acked) report.stalls++;
    if (floodLeft > 0 && opts.dice.float() < 0.5) {
      const n = Math.min(floodLeft, floodBurst);
      for (let k = 0; k < n; k++) {
        const m = gen.flood();
        client.publish(m.topic, m.payload, { qos: 0 });
        count(m);
      }
      floodLeft -= n;
    }
    if (refusedLeft > 0 && chunkNo % refusedEvery === 0) {
      await publishRefused(opts.brokerPort, username, password, gen.refused());
      report.published++;
      report.byKind['acl-refused'] = (report.byKind['acl-refused'] ?? 0) + 1;
      refusedLeft--;
    }
    chunkNo++;
    const due = started + (report.published / rate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  while (floodLeft > 0) {
    const n = Math.min(floodLeft, floodBurst);
    for (let k = 0; k < n; k++) {
      const m = gen.flood();
      client.publish(m.topic, m.payload, { qos: 0 });
      count(m);
    }
    floodLeft -= n;
    await sleep(50);
  }
  while (refusedLeft > 0) {
    await publishRefused(opts.brokerPort, username, password, gen.refused());
    report.published++;
    report.byKind['acl-refused'] = (report.byKind['acl-refused'] ?? 0) + 1;
    refusedLeft--;
  }
  await Promise.race([client.endAsync(), sleep(10_000)]);
  return report;
}

/** One publish the ACL must refuse, on its own connection (our broker closes a client that publishes out of bounds). */
async function publishRefused(port: number, username: string, password: string, m: HostileMessage): Promise<void> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, clientId: `${username}:chaos-refused-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0, connectTimeout: 5000 });
  c.on('error', () => undefined);
  try {
    await Promise.race([new Promise<void>((r) => c.once('connect', () => r())), sleep(5000)]);
    if (c.connected) {
      await Promise.race([c.publishAsync(m.topic, m.payload, { qos: m.qos }).catch(() => undefined), sleep(1000)]);
    }
  } finally {
    c.end(true);
  }
}

import { describe, expect, it } from 'vitest';
import { influxConnectionSchema, mqttConnectionSchema } from './connections.js';

const refusal = (input: unknown) => {
  const result = mqttConnectionSchema.safeParse(input);
  return result.success ? undefined : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('MQTT connection', () => {
  it('refuses plain MQTT to another machine, saying to use mqtts:// or allowPlaintext', () => {
    for (const url of ['mqtt://192.0.2.7:1883', 'mqtt://broker.example.org', 'ws://broker.example.org/mqtt', 'tcp://10.0.0.2:1883', 'mqtt://[2001:db8::1]:1883']) {
      const issues = refusal({ url });
      expect(issues, url).toHaveLength(1);
      expect(issues![0]!.path).toBe('url');
      expect(issues![0]!.message).toContain('use mqtts:// (or wss://)');
      expect(issues![0]!.message).toContain('allowPlaintext: true');
    }
  });

  it('is not fooled by a host that only looks like loopback', () => {
    for (const url of ['mqtt://localhost.example.org', 'mqtt://127.0.0.1.example.org', 'mqtt://127.0.0.1@broker.example.org', 'mqtt://not a url']) {
      expect(refusal({ url }), url).toEqual([expect.objectContaining({ path: 'url' })]);
    }
  });

  it('accepts plain MQTT to another machine when allowPlaintext says so', () => {
    expect(mqttConnectionSchema.parse({ url: 'mqtt://192.0.2.7:1883', allowPlaintext: true })).toMatchObject({ url: 'mqtt://192.0.2.7:1883', allowPlaintext: true });
    expect(refusal({ url: 'ws://broker.example.org/mqtt', allowPlaintext: true })).toBeUndefined();
  });

  it('accepts plain MQTT on loopback, by default and written any way', () => {
    expect(mqttConnectionSchema.parse({})).toMatchObject({ url: 'mqtt://127.0.0.1:1883', allowPlaintext: false });
    for (const url of ['mqtt://127.0.0.1:1883', 'mqtt://127.1.2.3', 'mqtt://localhost:1883', 'mqtt://LOCALHOST', 'mqtt://[::1]:1883', 'ws://localhost:8080/mqtt']) {
      expect(refusal({ url }), url).toBeUndefined();
    }
  });

  it('accepts MQTT over TLS and WebSocket over TLS to any host', () => {
    for (const url of ['mqtts://broker.example.org:8883', 'mqtts://192.0.2.7', 'wss://broker.example.org/mqtt', 'wss://[2001:db8::1]:8443/mqtt']) {
      expect(refusal({ url }), url).toBeUndefined();
    }
  });

  it('refuses a URL that is not MQTT, and an unknown key', () => {
    expect(refusal({ url: 'http://127.0.0.1:1883' })).toEqual([{ path: 'url', message: 'must be an MQTT URL such as mqtt://127.0.0.1:1883' }]);
    expect(refusal({ url: 'mqtts://broker.example.org', caFiles: 'ca.pem' })).toEqual([expect.objectContaining({ path: '' })]);
  });
});

describe('InfluxDB connection', () => {
  const influxRefusal = (input: unknown) => {
    const result = influxConnectionSchema.safeParse(input);
    return result.success ? undefined : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };

  it('is InfluxDB 1.x on this machine by default, as before the other versions', () => {
    expect(influxConnectionSchema.parse({})).toEqual({ version: 1, url: 'http://127.0.0.1:8086', database: 'trebuchet' });
  });

  it('refuses a token in the YAML, whatever the version, naming where it goes', () => {
    for (const version of [1, 2, 3]) {
      const issues = influxRefusal({ version, url: 'https://eu-central-1-1.aws.cloud2.influxdata.com', org: 'o', bucket: 'b', token: 's3cret' });
      expect(issues, `version ${version}`).toContainEqual({ path: 'token', message: expect.stringContaining('TREBUCHET_INFLUX_TOKEN or a 0600 tokenFile') });
    }
  });

  it('asks 2.x for its org and bucket, and keeps each version to its own keys', () => {
    expect(influxRefusal({ version: 2 })).toEqual([
      { path: 'org', message: 'InfluxDB 2.x needs its organisation: org' },
      { path: 'bucket', message: 'InfluxDB 2.x needs the bucket to write to: bucket' },
    ]);
    expect(influxRefusal({ version: 2, org: 'o', bucket: 'b', username: 'admin' })).toEqual([{ path: 'username', message: expect.stringContaining('authenticates with a token') }]);
    expect(influxRefusal({ bucket: 'b' })).toEqual([{ path: 'bucket', message: 'bucket is for InfluxDB 2.x or 3.x: set version: 2 or 3' }]);
    expect(influxRefusal({ version: 3, bucket: 'b' })).toEqual([{ path: 'bucket', message: 'InfluxDB 3.x has databases, not bucket: set database' }]);
    expect(influxRefusal({ version: 4 })).toEqual([expect.objectContaining({ path: 'version' })]);
    expect(influxRefusal({ version: 2, org: 'o', bucket: 'b', bukket: 'c' })).toEqual([expect.objectContaining({ path: '', message: expect.stringContaining('bukket') })]);
    expect(influxConnectionSchema.parse({ version: 2, url: 'https://influx.example.org', org: 'reseau', bucket: 'trebuchet', tokenFile: '/etc/trebuchet/influx-token' })).toEqual({
      version: 2,
      url: 'https://influx.example.org',
      database: 'trebuchet',
      org: 'reseau',
      bucket: 'trebuchet',
      tokenFile: '/etc/trebuchet/influx-token',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { brokerConfigSchema } from './config.js';

const refusal = (input: unknown) => {
  const result = brokerConfigSchema.safeParse(input);
  return result.success ? undefined : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('broker config', () => {
  it('listens on loopback by default', () => {
    expect(brokerConfigSchema.parse({}).listen).toEqual({ host: '127.0.0.1', port: 1883 });
  });

  it('refuses plain MQTT on an address other than loopback unless allowPlaintext says so', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.7', 'broker.example.org']) {
      expect(refusal({ listen: { host } }), host).toEqual([
        { path: 'listen.host', message: expect.stringContaining('give the agents tls (8883) or https (wss), or set allowPlaintext: true') },
      ]);
      expect(refusal({ listen: { host }, allowPlaintext: true }), host).toBeUndefined();
    }
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(refusal({ listen: { host } }), host).toBeUndefined();
  });

  it('lets the TLS and HTTPS listeners listen on every address', () => {
    const config = brokerConfigSchema.parse({ tls: {}, https: { port: 443 } });
    expect(config.tls).toEqual({ host: '0.0.0.0', port: 8883 });
    expect(config.https).toEqual({ host: '0.0.0.0', port: 443 });
  });

  it('refuses a certificate file without its key, or a key without its certificate', () => {
    const both = 'give both certFile and keyFile, or neither (the broker then generates its own)';
    expect(refusal({ certificates: { certFile: '/etc/letsencrypt/live/x/fullchain.pem' } })).toEqual([{ path: 'certificates', message: both }]);
    expect(refusal({ certificates: { keyFile: '/etc/letsencrypt/live/x/privkey.pem' } })).toEqual([{ path: 'certificates', message: both }]);
    expect(refusal({ certificates: { certFile: 'fullchain.pem', keyFile: 'privkey.pem', caFile: 'ca.pem' } })).toBeUndefined();
  });

  it('refuses names with an operator certificate, and a caFile without one', () => {
    expect(refusal({ certificates: { certFile: 'fullchain.pem', keyFile: 'privkey.pem', names: ['broker.example.org'] } })).toEqual([
      { path: 'certificates', message: expect.stringContaining('names are for the generated certificate') },
    ]);
    expect(refusal({ certificates: { caFile: 'ca.pem' } })).toEqual([{ path: 'certificates', message: 'caFile goes with certFile and keyFile' }]);
  });

  it('takes names for the generated certificate: host names and addresses, not URLs nor ports', () => {
    const names = ['broker.example.org', 'localhost', '192.0.2.7', '2001:db8::10', '::1', '*.example.org'];
    expect(brokerConfigSchema.parse({ certificates: { names } }).certificates.names).toEqual(names);
    for (const bad of ['https://broker.example.org', 'broker.example.org:8883', 'two words', '']) {
      expect(refusal({ certificates: { names: [bad] } }), bad).toEqual([expect.objectContaining({ path: 'certificates.names.0' })]);
    }
    expect(refusal({ certificates: { names: [] } })).toEqual([expect.objectContaining({ path: 'certificates.names' })]);
  });
});

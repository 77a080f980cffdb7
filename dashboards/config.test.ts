import { describe, expect, it } from 'vitest';
import { validateConfig } from '../runtime/config.js';
import { dashboardsConfigSchema } from './config.js';

const problems = (http: unknown) => {
  try {
    validateConfig(dashboardsConfigSchema, { http });
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('dashboards http.trustProxy', () => {
  it('takes nothing by default, or a list of addresses and CIDR ranges', () => {
    expect(validateConfig(dashboardsConfigSchema, {}).http.trustProxy).toBe(false);
    const list = ['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8'];
    expect(validateConfig(dashboardsConfigSchema, { http: { trustProxy: list } }).http.trustProxy).toEqual(list);
  });

  it('refuses true (every client could forge its address) and names a value that is no address', () => {
    expect(problems({ trustProxy: true })).toContain('http.trustProxy: true is not valid: false, or the list of the reverse proxies\' addresses');
    expect(problems({ trustProxy: ['127.0.0.1', '10.0.0.0/33'] })).toContain('http.trustProxy[1]: "10.0.0.0/33" is not valid: must be an IP address or a CIDR range');
    expect(problems({ trustProxy: ['proxy.example.org'] })).toContain('http.trustProxy[0]: "proxy.example.org" is not valid');
  });

  it('asks for both files of https', () => {
    expect(problems({ https: { certFile: '/etc/letsencrypt/live/x/fullchain.pem' } })).toContain('http.https.keyFile');
  });
});

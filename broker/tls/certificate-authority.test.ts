// @peculiar/x509 needs this polyfill loaded before it (as certificate-authority.ts does).
import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateNames, createCertificateAuthority, issueServerCertificate, type PemPair } from './certificate-authority.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const NOW = new Date('2026-12-01T09:00:00.000Z');
const DAY_MS = 86_400_000;
const NAMES = ['trebuchet.example.org', 'localhost', '192.0.2.10', '127.0.0.1', '2001:db8::10', '::1'];

/** The spelling a certificate shows for an address (`0:0:…:1` for `::1`), as URL parsing gives it. */
const canonical = (name: string) => (isIP(name) === 6 ? new URL(`http://[${name}]/`).hostname : name.toLowerCase());

let ca: PemPair;
let caCert: X509Certificate;
let server: PemPair;
let leaf: X509Certificate;

beforeAll(async () => {
  ca = await createCertificateAuthority('Trébuchet CA test', 20 * 365, NOW);
  caCert = new X509Certificate(ca.certPem);
  server = await issueServerCertificate(ca, { names: NAMES, validityDays: 365, now: NOW });
  leaf = new X509Certificate(server.certPem);
});

describe('certificate authority', () => {
  it('is a self-signed CA, valid from an hour before now for the days asked', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.subject).toContain('CN=Trébuchet CA test');
    expect(new Date(caCert.validFrom).getTime()).toBe(NOW.getTime() - 3_600_000);
    expect(new Date(caCert.validTo).getTime()).toBe(NOW.getTime() + 20 * 365 * DAY_MS);
    expect(caCert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('signs a server certificate that verifies against it, and not against another CA', async () => {
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.issuer).toBe(caCert.subject);
    const other = new X509Certificate((await createCertificateAuthority('another CA', 1, NOW)).certPem);
    expect(leaf.checkIssued(other)).toBe(false);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it('gives the server certificate its own key, and the CA after it in the same PEM', () => {
    expect(leaf.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(false);
    const blocks = server.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(blocks).toHaveLength(2);
    expect(new X509Certificate(blocks[1]!).fingerprint256).toBe(caCert.fingerprint256);
  });

  it('carries every name given, DNS names and IP addresses (IPv6 included)', () => {
    const san = leaf.subjectAltName!;
    expect(san).toContain('DNS:trebuchet.example.org');
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:192.0.2.10');
    expect(san).toContain('IP Address:127.0.0.1');
    // Addresses go in as addresses, never as DNS names (a client would not match them).
    expect(san).not.toMatch(/DNS:[0-9:.]+(,|$)/);
    expect(certificateNames(leaf).map(canonical).sort()).toEqual(NAMES.map(canonical).sort());
    expect(leaf.checkIP('2001:db8::10')).toBe('2001:db8::10');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkIP('192.0.2.11')).toBeUndefined();
    expect(leaf.checkHost('trebuchet.example.org')).toBe('trebuchet.example.org');
    expect(leaf.subject).toBe('CN=trebuchet.example.org');
  });

  it('is not a CA, and is for TLS servers', () => {
    expect(leaf.ca).toBe(false);
    // Node's `ca` also reads the key usage; the basic constraints must say so themselves (critical, as RFC 5280 wants).
    const constraints = new x509.X509Certificate(server.certPem).getExtension(x509.BasicConstraintsExtension)!;
    expect({ ca: constraints.ca, critical: constraints.critical }).toEqual({ ca: false, critical: true });
    const caConstraints = new x509.X509Certificate(ca.certPem).getExtension(x509.BasicConstraintsExtension)!;
    expect({ ca: caConstraints.ca, pathLength: caConstraints.pathLength }).toEqual({ ca: true, pathLength: 0 });
    expect(leaf.keyUsage).toEqual([SERVER_AUTH]);
  });

  it('is valid for the days asked, or until notAfter', async () => {
    expect(new Date(leaf.validFrom).getTime()).toBe(NOW.getTime() - 3_600_000);
    expect(new Date(leaf.validTo).getTime()).toBe(NOW.getTime() + 365 * DAY_MS);
    const ended = new Date(NOW.getTime() - DAY_MS);
    const expired = new X509Certificate((await issueServerCertificate(ca, { names: ['localhost'], validityDays: 365, now: new Date(NOW.getTime() - 2 * DAY_MS), notAfter: ended })).certPem);
    expect(new Date(expired.validTo).getTime()).toBe(ended.getTime());
  });

  it('never gives two certificates the same serial', async () => {
    const serials = [caCert.serialNumber, leaf.serialNumber];
    for (let i = 0; i < 10; i++) serials.push(new X509Certificate((await issueServerCertificate(ca, { names: ['localhost'], validityDays: 1 })).certPem).serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
  });
});

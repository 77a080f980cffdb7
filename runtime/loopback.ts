import { isIP } from 'node:net';

/**
 * Whether a listen address or a URL's host stays on this machine: `localhost`, 127.0.0.0/8 and ::1.
 * Plain MQTT and plain HTTP carry passwords in clear, so anything else needs TLS or an explicit opt-out.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

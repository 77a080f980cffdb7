import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './loopback.js';

describe('isLoopbackHost', () => {
  it('takes localhost, 127.0.0.0/8 and ::1 for this machine, and nothing else', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org', 'localhost.example.org', '128.0.0.1', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now. Another process may take it before the caller binds it,
 * so callers that start servers should retry on "address in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no TCP address for a port-0 listener'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { influxConnectionSchema } from '../../runtime/connections.js';
import { Influx1Store } from './influxdb-1.js';

/**
 * A loopback stand-in for an InfluxDB 1.x going down: each request gets what `answer` writes on the raw
 * socket. Raw TCP rather than node:http, to cut a response in the middle of its body.
 */
async function fakeInflux(answer: (socket: Socket) => void): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((socket) => {
    socket.once('data', () => {
      requests++;
      answer(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}`, requests: () => requests };
}

const point = { measurement: 'weighing', tags: { site: 's' }, fields: { grams: 1200 }, timestamp: '1700000000000000000' };

describe('InfluxDB 1.x through node-influx', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('rejects a write whose 503 answer is cut before its body ends, rather than waiting for ever', async () => {
    const fake = await fakeInflux((socket) => {
      // What an influxd shutting down can do: the status line, then the connection goes.
      socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshutting');
      setImmediate(() => socket.destroy());
    });
    server = fake.server;
    const store = new Influx1Store(influxConnectionSchema.parse({ url: fake.url, database: 'd' }), { requestTimeoutMs: 300 });
    await expect(store.write([point], 'raw')).rejects.toThrow(/no answer to a write within 0.3 s/);
    await expect(store.queryRaw('SELECT * FROM weighing')).rejects.toThrow(/no answer to a query within 0.3 s/);
    expect(fake.requests()).toBe(2);
  });

  it('still takes an answer that comes, and an error InfluxDB gives', async () => {
    let status = '204 No Content';
    const fake = await fakeInflux((socket) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    server = fake.server;
    const store = new Influx1Store(influxConnectionSchema.parse({ url: fake.url, database: 'd' }), { requestTimeoutMs: 300 });
    await expect(store.write([point], 'raw')).resolves.toBeUndefined();
    status = '400 Bad Request';
    await expect(store.write([point], 'raw')).rejects.toThrow(/400/);
  });
});

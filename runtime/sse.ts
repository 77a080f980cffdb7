import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

function refuse(res: ServerResponse, statusCode: number, error: string, message: string): void {
  res.writeHead(statusCode, { 'content-type': 'application/json', 'retry-after': '10' });
  res.end(JSON.stringify({ statusCode, error, message }));
}

/** One server-sent event. JSON.stringify never emits a raw newline, so one `data:` line is always enough. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface SseClientsOptions {
  /** Bytes a client may have waiting unsent before it is dropped. */
  maxClientBufferBytes?: number;
  maxClients?: number;
  /** Streams one client address may hold, so that one client cannot take every slot (default: no bound but `maxClients`). */
  maxPerAddress?: number;
  heartbeatMs?: number;
}

/**
 * The browsers following a server-sent event stream: bounded in number, a client that stops reading is
 * dropped (it reconnects when it wakes), and a heartbeat keeps proxies from closing idle streams.
 */
export class SseClients {
  private readonly clients = new Set<ServerResponse>();
  private readonly perAddress = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBuffer: number;
  private readonly maxClients: number;
  private readonly maxPerAddress: number;
  private slowDropped = 0;

  constructor(opts: SseClientsOptions = {}) {
    this.maxBuffer = opts.maxClientBufferBytes ?? 256 * 1024;
    this.maxClients = opts.maxClients ?? 200;
    this.maxPerAddress = opts.maxPerAddress ?? Infinity;
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get slowClientsDropped(): number {
    return this.slowDropped;
  }

  /**
   * Takes over a Fastify reply and streams to it, starting with `hello` (what a newcomer must see at
   * once); answers 429 when the client's address already holds its share of streams, 503 when the server
   * already has as many clients as it takes.
   */
  attach(reply: FastifyReply, hello: string): void {
    reply.hijack();
    const res = reply.raw;
    const address = reply.request.ip;
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.maxPerAddress) {
      return refuse(res, 429, 'Too Many Requests', `Trop de flux en direct depuis ${address} (${this.maxPerAddress} au plus) : fermez d'autres onglets. / Too many live streams from ${address} (${this.maxPerAddress} at most): close other tabs.`);
    }
    if (this.clients.size >= this.maxClients) {
      return refuse(res, 503, 'Service Unavailable', 'Trop de clients en direct : réessayez plus tard. / Too many live clients: try again later.');
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream and deliver weights in bursts.
      'x-accel-buffering': 'no',
    });
    this.clients.add(res);
    this.perAddress.set(address, held + 1);
    res.on('close', () => {
      this.clients.delete(res);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    this.send(res, `retry: 3000\n\n${hello}`);
  }

  broadcast(chunk: string): void {
    for (const res of this.clients) this.send(res, chunk);
  }

  private send(res: ServerResponse, chunk: string): void {
    if (res.writableLength > this.maxBuffer) {
      // A client that does not read (asleep tablet, stalled network) is dropped; it reconnects when it wakes.
      this.slowDropped++;
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

/**
 * A JSON client of one of our HTTP APIs: `call(method, path, body?)` sends the body as JSON and gives the
 * status with the parsed answer. The base URL is read at each call: a test may restart the server. With
 * `cookie`, each call carries it (the dashboards' session, see `dashboardsSession`).
 */
export function jsonApi(baseUrl: () => string, options: { cookie?: () => Promise<string> | string } = {}) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.cookie) headers.cookie = await options.cookie();
    const res = await fetch(`${baseUrl()}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** Signs in to the dashboards at `baseUrl`; gives the session cookie to send back, `tb_session=…`. */
export async function dashboardsSession(baseUrl: string, user: { name: string; password: string }): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('tb_session='));
  if (res.status !== 200 || !cookie) throw new Error(`sign-in as ${user.name} at ${baseUrl}: HTTP ${res.status} ${await res.text()}`);
  return cookie.split(';')[0]!;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  // The tests read what they expect of each answer's body.
  body: any;
  /** Over HTTPS, the serial number of the certificate the server presented on that connection. */
  certificateSerial?: string;
}

/**
 * A request as an outside client sends it: exactly the headers given (a forged Host, a foreign Origin, a
 * form's content type), from the loopback address given (each address its own client for rate limits).
 * Host defaults to the URL's, as every client sends it. An https base URL is reached trusting `ca` only;
 * each request opens its own connection unless an `agent` keeps one alive.
 */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; from?: string; ca?: Buffer; agent?: Agent } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  const tls = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : request)(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: opts.agent ?? false,
        localAddress: opts.from ?? '127.0.0.1',
        headers: { host: url.host, ...opts.headers },
        ...(tls ? { ca: opts.ca } : {}),
      },
      (res) => {
        const certificateSerial = tls ? (res.socket as TLSSocket).getPeerCertificate().serialNumber : undefined;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const json = res.headers['content-type']?.startsWith('application/json');
          resolve({ status: res.statusCode!, headers: res.headers, body: json && text ? JSON.parse(text) : text, ...(certificateSerial ? { certificateSerial } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

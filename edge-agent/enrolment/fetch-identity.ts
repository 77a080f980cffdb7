import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { certificateSha256 } from '../../runtime/certificate-fingerprint.js';
import { agentIdentitySchema, caPin, ENROLMENT_JOIN_PATH, parseCode, type AgentIdentity } from '../../protocol/index.js';

/** Why a join failed, in words for the person at the Pi. */
export class JoinError extends Error {}

const TIMEOUT_MS = 15_000;


/**
 * The CA of the server's chain whose fingerprint the code pins, in PEM. A first handshake that verifies
 * nothing only reads the chain: the join request itself then goes over a second, fully verified connection
 * (that CA alone, and the server's name), so a server that cannot show the pinned CA never sees the code.
 */
async function pinnedCa(server: URL, pin: string): Promise<string> {
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    const host = server.hostname.replace(/^\[|\]$/g, '');
    // SNI carries names only, never an address.
    const socket = connect({ host, port: Number(server.port || 443), ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false, timeout: TIMEOUT_MS }, () => {
      const certs: PeerCertificate[] = [];
      for (let c = socket.getPeerCertificate(true); c && c.raw && !certs.some((x) => x.fingerprint256 === c.fingerprint256); c = c.issuerCertificate) certs.push(c);
      socket.end();
      resolve(certs);
    });
    socket.on('timeout', () => socket.destroy(new JoinError(`${server.host}: no answer in ${TIMEOUT_MS / 1000} s`)));
    socket.on('error', (err) => reject(err instanceof JoinError ? err : new JoinError(`${server.host}: ${err.message}`)));
  });
  const ca = chain.find((c) => caPin(certificateSha256(c)) === pin);
  if (!ca) {
    throw new JoinError(
      `${server.host} ne présente pas l'autorité de certification du code : ce n'est pas le bon serveur, ou quelqu'un s'interpose / ${server.host} does not show the certificate authority the code pins: wrong server, or someone in between. Check the address, or make a new code.`,
    );
  }
  return new X509Certificate(ca.raw).toString();
}

/** Takes an enrolment code to the server and brings back this Pi's identity. */
export async function fetchIdentity(serverUrl: string, typedCode: string): Promise<AgentIdentity> {
  const code = parseCode(typedCode);
  if (!code) throw new JoinError('code illisible / malformed code: copy it as `trebuchet agent enroll` printed it');
  let server: URL;
  try {
    server = new URL(serverUrl);
  } catch {
    throw new JoinError(`--server ${serverUrl}: not a URL; give the server's address as https://name:8443`);
  }
  if (server.protocol !== 'https:') throw new JoinError(`--server ${serverUrl}: must be https:// (the code and the password cross the network)`);
  const ca = code.pin ? await pinnedCa(server, code.pin) : undefined;
  const body = JSON.stringify({ code: typedCode });
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      new URL(ENROLMENT_JOIN_PATH, server),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, ...(ca ? { ca } : {}), timeout: TIMEOUT_MS },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new JoinError(`${server.host}: no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(err instanceof JoinError ? err : new JoinError(`${server.host}: ${err.message}`)));
    req.end(body);
  });
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new JoinError(`${server.host} answered ${answer.status} with something that is not JSON: is it a Trébuchet broker's HTTPS port?`);
  }
  if (answer.status !== 200) {
    const why = typeof json === 'object' && json && 'error' in json ? String((json as { error: unknown }).error) : answer.text.slice(0, 200);
    throw new JoinError(`refusé par le serveur / refused by the server (${answer.status}): ${why}`);
  }
  const identity = agentIdentitySchema.safeParse(json);
  if (!identity.success) throw new JoinError(`the server's answer is not an agent identity: ${identity.error.issues[0]?.message}`);
  // The CA handed over must be the one the code pinned, or the Pi would trust another one from now on.
  if (code.pin && (!identity.data.caPem || caPin(certificateSha256(new X509Certificate(identity.data.caPem))) !== code.pin)) {
    throw new JoinError('the server handed a CA other than the one the code pins: refused');
  }
  return identity.data;
}

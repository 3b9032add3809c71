// The Node entry point: SELFClient with a transport that pins the instance's
// TLS key. The instance's certificate is self-signed; it is trusted only because
// its Ed25519 key is the one registered for the instance in x/registry, so the
// check runs on the handshake, before a byte of the request is sent.
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { equal, fromBase64, keyBytes } from './bytes.js';
import { SELFClient as CoreClient, type FetchLike, type SELFClientConfig } from './client.js';
import { ErrorCode, SELFError } from './errors.js';

export * from './index.js';

/** Post-quantum hybrid key exchange where this Node's OpenSSL has it (3.5+), as the instance prefers. */
function ecdhCurve(): string | undefined {
  for (const c of ['X25519MLKEM768:X25519:P-256', 'X25519:P-256']) {
    try {
      tls.createSecureContext({ ecdhCurve: c });
      return c;
    } catch {
      // not supported by this OpenSSL
    }
  }
  return undefined;
}
const curves = ecdhCurve();

/** The Ed25519 key of a DER certificate, or an error saying why not. */
export function certEd25519Key(der: Uint8Array): Uint8Array {
  const c = new X509Certificate(der);
  const k = c.publicKey;
  if (k.asymmetricKeyType !== 'ed25519') {
    throw new SELFError(ErrorCode.TLSKey, `the server's certificate has a ${k.asymmetricKeyType} key, not the instance's Ed25519 key`);
  }
  const jwk = k.export({ format: 'jwk' }) as { x?: string };
  return fromBase64(jwk.x ?? '');
}

/**
 * A fetch that talks only to a server whose certificate carries tlsKey (the
 * instance's key from x/registry); the certificate chain and name are not used.
 */
export function pinnedFetch(tlsKey: Uint8Array | string): FetchLike {
  const pin = keyBytes(tlsKey);
  if (pin.length !== 32) throw new SELFError(ErrorCode.InvalidArgument, `tlsKey must be the instance's 32-byte Ed25519 key, got ${pin.length} bytes`);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  // Connect, then check the pin on the handshake before handing the socket to HTTP.
  (agent as unknown as { createConnection: unknown }).createConnection = (opts: tls.ConnectionOptions, cb: (err: Error | null, s?: tls.TLSSocket) => void) => {
    let done = false;
    const finish = (err: Error | null, s?: tls.TLSSocket) => {
      if (!done) {
        done = true;
        cb(err, s);
      }
    };
    const sock = tls.connect({
      ...opts,
      rejectUnauthorized: false, // replaced by the key pin below
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['http/1.1'],
      ...(curves ? { ecdhCurve: curves } : {}),
    });
    sock.once('secureConnect', () => {
      let err: Error | null = null;
      try {
        const cert = sock.getPeerX509Certificate();
        if (!cert) throw new SELFError(ErrorCode.TLSKey, 'the server sent no certificate');
        if (!equal(certEd25519Key(cert.raw), pin)) {
          throw new SELFError(ErrorCode.TLSKey, "the server's TLS key is not the instance's registered key: refusing to talk to it");
        }
      } catch (e) {
        err = e instanceof SELFError ? e : new SELFError(ErrorCode.TLSKey, "the server's certificate does not parse", { cause: e });
      }
      if (err) {
        sock.destroy(err);
        finish(err);
      } else finish(null, sock);
    });
    sock.once('error', (e) => finish(e));
    return undefined;
  };
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      // The path goes out exactly as signed: a URL object would resolve dot segments.
      const u = new URL(url);
      const path = url.slice(u.origin.length) || '/';
      const opts = { protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 443, path };
      const req = https.request({ ...opts, method: init.method, headers: init.headers, agent, signal: init.signal }, (res) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const x of v) headers.append(k, x);
          else if (v !== undefined) headers.set(k, v);
        }
        const status = res.statusCode ?? 0;
        const noBody = status === 204 || status === 205 || status === 304;
        if (noBody) res.resume();
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers }));
      });
      req.on('error', reject);
      if (init.body && init.body.length > 0) req.setHeader('Content-Length', init.body.length);
      req.end(init.body && init.body.length > 0 ? init.body : undefined);
    });
}

/** SELFClient for Node: requires tlsKey and pins it on every connection. */
export class SELFClient extends CoreClient {
  constructor(cfg: SELFClientConfig) {
    if (cfg && !cfg.fetch && cfg.instanceUrl) {
      if (cfg.tlsKey === undefined) {
        throw new SELFError(ErrorCode.TLSKey, "tlsKey is required: the instance's Ed25519 key registered in x/registry (discover({ nodeUrl, owner }) returns it)");
      }
      cfg = { ...cfg, fetch: pinnedFetch(cfg.tlsKey) };
    }
    super(cfg);
  }
}

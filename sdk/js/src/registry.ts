// The instance's URL and TLS key from its x/registry record.
import { concat, fromBase64, fromHex, toHex, utf8 } from './bytes.js';
import { resolveHeight, verifyResolve } from './proof.js';
import { ErrorCode, SELFError, isSELFError } from './errors.js';

export interface InstanceLocation {
  /** https://<endpoint> */
  instanceUrl: string;
  /** The instance's Ed25519 TLS key, to pin. */
  tlsKey: Uint8Array;
  owner: string;
}

type Rec = Record<string, unknown>;
const field = (o: unknown, ...names: string[]): unknown => {
  if (!o || typeof o !== 'object') return undefined;
  for (const n of names) if (n in (o as Rec)) return (o as Rec)[n];
  return undefined;
};

/**
 * Picks the instance out of `selfchaind query registry resolve <owner> --verify -o json`:
 * the first node with an Ed25519 signing key (the instance's TLS key) and an
 * endpoint, as the Go SDK's Discover does. The answer must say verified: true
 * (its ICS-23 proofs checked against the chain's app hash) unless
 * allowUnverified is set.
 */
export function instanceFromResolve(resolve: string | object, opts: { allowUnverified?: boolean } = {}): InstanceLocation {
  let r: unknown = resolve;
  if (typeof resolve === 'string') {
    try {
      r = JSON.parse(resolve);
    } catch (cause) {
      throw new SELFError(ErrorCode.Discovery, 'the registry answer is not JSON (use `selfchaind query registry resolve <owner> --verify -o json`)', { cause });
    }
  }
  if (!opts.allowUnverified && field(r, 'verified') !== true) {
    throw new SELFError(ErrorCode.Discovery, 'the registry answer is not verified: run `selfchaind query registry resolve <owner> --verify -o json`');
  }
  const nodes = field(r, 'nodes');
  if (!Array.isArray(nodes)) throw new SELFError(ErrorCode.Discovery, 'the registry answer has no nodes list');
  for (const e of nodes) {
    const n = field(e, 'node');
    const key = field(n, 'signing_key', 'signingKey');
    const endpoints = field(n, 'endpoints');
    const owner = field(n, 'owner');
    if (field(key, 'type') !== 'ed25519' || !Array.isArray(endpoints) || typeof endpoints[0] !== 'string' || typeof owner !== 'string') continue;
    const raw = field(key, 'key');
    let tlsKey: Uint8Array;
    try {
      tlsKey = fromBase64(String(raw)); // proto JSON: bytes are base64
    } catch (cause) {
      throw new SELFError(ErrorCode.Discovery, 'the registered signing key does not decode', { cause });
    }
    if (tlsKey.length !== 32) throw new SELFError(ErrorCode.Discovery, `the registered ed25519 key has ${tlsKey.length} bytes, not 32`);
    return { instanceUrl: 'https://' + endpoints[0], tlsKey, owner };
  }
  throw new SELFError(ErrorCode.Discovery, 'the owner has no instance in x/registry (a node with an ed25519 key and an endpoint): start it with `selfinstance start` and --advertise');
}

/** Options of discover(). */
export interface DiscoverOptions {
  /** A SELF node's CometBFT RPC, e.g. http://127.0.0.1:26657 (tcp:// is read as http://). */
  nodeUrl: string;
  /** The instance owner's bech32 address. */
  owner: string;
  /**
   * A light client (createLightClient): the header whose app hash the proofs are
   * checked against is then verified by validator signatures from your trust root,
   * so a node that forges the header as well as the record is caught. Use it.
   * Without it (and without trustedAppHash) the header comes from nodeUrl, as
   * `selfchaind query registry resolve --verify` does: the proofs then stop a node
   * that lies about the record, not one that also forges the header.
   */
  lightClient?: { verifiedAppHash(height: number): Promise<Uint8Array> };
  /** The app hash of header `height` from your own verifier (instead of lightClient). */
  trustedAppHash?: (height: number) => Promise<Uint8Array>;
  fetch?: (url: string) => Promise<Response>;
  /** Wait for header height+1 at most this long (default 10 000 ms). */
  timeoutMs?: number;
}

/**
 * Finds owner's instance through x/registry on a node: the Resolve answer with its
 * ICS-23 proofs, checked against the app hash of the header after its height, as
 * the Go SDK's Discover does. Returns the URL and TLS key to pin.
 */
export async function discover(opts: DiscoverOptions): Promise<InstanceLocation> {
  const base = opts.nodeUrl.replace(/^tcp:\/\//, 'http://').replace(/\/+$/, '');
  const get = opts.fetch ?? ((u: string) => globalThis.fetch(u));
  const rpc = async (path: string): Promise<Rec> => {
    let body: unknown;
    try {
      const res = await get(base + path);
      body = await res.json();
    } catch (cause) {
      throw new SELFError(ErrorCode.Transport, `the node at ${base} could not be queried`, { cause });
    }
    const b = body as { result?: Rec; error?: { message?: string; data?: string } };
    if (!b?.result) throw new SELFError(ErrorCode.Discovery, `the node answered an error: ${b?.error?.data ?? b?.error?.message ?? 'no result'}`);
    return b.result;
  };
  const ownerBytes = utf8(opts.owner);
  const req = concat(new Uint8Array([0x0a]), varint(ownerBytes.length), ownerBytes); // QueryResolveRequest{owner}
  const q = await rpc(`/abci_query?path=%22%2Fselfchain.registry.v1.Query%2FResolve%22&data=0x${toHex(req)}`);
  const r = field(q, 'response') as { code?: number; log?: string; value?: string } | undefined;
  if (!r || (r.code ?? 0) !== 0) throw new SELFError(ErrorCode.Discovery, `resolve ${opts.owner} in x/registry: ${r?.log ?? 'no answer'}`);
  const value = fromBase64(r.value ?? '');
  const height = resolveHeight(value);
  let appHash: Uint8Array;
  const lc = opts.lightClient;
  const verified = opts.trustedAppHash ?? (lc ? (h: number) => lc.verifiedAppHash(h) : undefined);
  if (verified) {
    // Header height+1 may not be committed yet: retry while the node cannot serve
    // it; a header that fails verification ends it at once.
    const end = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      try {
        appHash = await verified(height + 1);
        break;
      } catch (err) {
        const retry = isSELFError(err, ErrorCode.Transport) || (isSELFError(err, ErrorCode.LightClient) && err.reason === 'rpc');
        if (!retry || Date.now() > end) throw err;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  } else {
    const end = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      try {
        const c = await rpc(`/commit?height=${height + 1}`);
        const h = (c as { signed_header?: { header?: { app_hash?: string } } }).signed_header?.header?.app_hash;
        if (h) {
          appHash = fromHex(h);
          break;
        }
      } catch (err) {
        if (Date.now() > end) throw err;
      }
      if (Date.now() > end) throw new SELFError(ErrorCode.Discovery, `header ${height + 1} was not committed in time`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  const nodes = verifyResolve(appHash, opts.owner, value);
  for (const n of nodes) {
    if (n.signingKey.type !== 'ed25519' || n.endpoints.length === 0 || n.signingKey.key.length !== 32) continue;
    return { instanceUrl: 'https://' + n.endpoints[0], tlsKey: n.signingKey.key, owner: opts.owner };
  }
  throw new SELFError(ErrorCode.Discovery, `${opts.owner} has no instance in x/registry (a node with an ed25519 key and an endpoint)`);
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return new Uint8Array(out);
}

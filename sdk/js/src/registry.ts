// The instance's URL and TLS key from its x/registry record.
import { fromBase64 } from './bytes.js';
import { ErrorCode, SELFError } from './errors.js';

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

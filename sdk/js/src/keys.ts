// App keys: Ed25519 and the hybrid Ed25519 ‖ ML-DSA-65, with the byte layout of
// crypto/hybrid.go: public key = ed25519 pk (32) ‖ ML-DSA-65 pk (1952); signature
// = Ed25519 sig over "selfchain/hybrid/v1\0" ‖ msg (64) ‖ ML-DSA-65 sig over msg
// with context "selfchain/hybrid/v1" (3309); both halves derive from one 32-byte
// seed by HKDF-SHA256 (no salt) with labels ".../ed25519" and ".../mldsa65".
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { concat, keyBytes, toBase64, utf8 } from './bytes.js';
import { ErrorCode, SELFError } from './errors.js';

export const KeyType = { Ed25519: 'ed25519', Hybrid: 'hybrid', MLDSA65: 'mldsa65' } as const;
export type KeyType = (typeof KeyType)[keyof typeof KeyType];

/** Signs requests with an app's key (registered for the app in x/permissions). */
export interface Signer {
  readonly type: string;
  readonly publicKey: Uint8Array;
  sign(msg: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export const SeedSize = 32;
const HybridEdPrefix = utf8('selfchain/hybrid/v1\x00');
const HybridPQContext = utf8('selfchain/hybrid/v1');
const HybridEdLabel = utf8('selfchain/hybrid/v1/ed25519');
const HybridPQLabel = utf8('selfchain/hybrid/v1/mldsa65');
const MLDSA65Context = utf8('selfchain/mldsa65/v1');
const EdPub = 32;
const EdSig = 64;
export const MLDSA65PubSize = 1952;
export const MLDSA65SigSize = 3309;
export const HybridPubSize = EdPub + MLDSA65PubSize;
export const HybridSigSize = EdSig + MLDSA65SigSize;

function checkSeed(type: string, seed: Uint8Array): void {
  if (seed.length !== SeedSize) {
    throw new SELFError(ErrorCode.InvalidArgument, `a ${type} private key (seed) must be ${SeedSize} bytes, got ${seed.length}`);
  }
}

/** An Ed25519 app key from its 32-byte seed (Go: crypto.PrivKeyFromTyped("ed25519", seed)). */
export function ed25519Signer(seed: Uint8Array | string): Signer {
  const s = keyBytes(seed);
  checkSeed(KeyType.Ed25519, s);
  const sk = s.slice();
  return { type: KeyType.Ed25519, publicKey: ed25519.getPublicKey(sk), sign: (msg) => ed25519.sign(msg, sk) };
}

/** A hybrid Ed25519 ‖ ML-DSA-65 app key from its 32-byte seed (the keyring's default key type). */
export function hybridSigner(seed: Uint8Array | string): Signer {
  const s = keyBytes(seed);
  checkSeed(KeyType.Hybrid, s);
  const edSeed = hkdf(sha256, s, undefined, HybridEdLabel, 32);
  const pqSeed = hkdf(sha256, s, undefined, HybridPQLabel, 32);
  const pq = ml_dsa65.keygen(pqSeed);
  const publicKey = concat(ed25519.getPublicKey(edSeed), pq.publicKey);
  return {
    type: KeyType.Hybrid,
    publicKey,
    // Hedged (randomized) ML-DSA signing, like the Go side: FIPS 204's default.
    sign: (msg) => concat(ed25519.sign(concat(HybridEdPrefix, msg), edSeed), ml_dsa65.sign(msg, pq.secretKey, { context: HybridPQContext })),
  };
}

/** A standalone ML-DSA-65 app key from its 32-byte FIPS 204 seed ξ (context "selfchain/mldsa65/v1"). */
export function mldsa65Signer(seed: Uint8Array | string): Signer {
  const s = keyBytes(seed);
  checkSeed(KeyType.MLDSA65, s);
  const k = ml_dsa65.keygen(s);
  return { type: KeyType.MLDSA65, publicKey: k.publicKey, sign: (msg) => ml_dsa65.sign(msg, k.secretKey, { context: MLDSA65Context }) };
}

/** An app key of type "ed25519", "hybrid" or "mldsa65" from its seed (bytes, hex or base64). */
export function signerFromSeed(type: string, seed: Uint8Array | string): Signer {
  switch (type) {
    case KeyType.Ed25519:
      return ed25519Signer(seed);
    case KeyType.Hybrid:
      return hybridSigner(seed);
    case KeyType.MLDSA65:
      return mldsa65Signer(seed);
    default:
      throw new SELFError(ErrorCode.InvalidArgument, `key type ${JSON.stringify(type)} is not supported by the JS SDK (use ed25519, hybrid or mldsa65)`);
  }
}

/** Verifies sig over msg with a public key of the given type (as the gateway does). */
export function verify(type: string, publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    switch (type) {
      case KeyType.Ed25519:
        return publicKey.length === EdPub && sig.length === EdSig && ed25519.verify(sig, msg, publicKey, { zip215: false });
      case KeyType.Hybrid:
        return (
          publicKey.length === HybridPubSize &&
          sig.length === HybridSigSize &&
          ed25519.verify(sig.subarray(0, EdSig), concat(HybridEdPrefix, msg), publicKey.subarray(0, EdPub), { zip215: false }) &&
          ml_dsa65.verify(sig.subarray(EdSig), msg, publicKey.subarray(EdPub), { context: HybridPQContext })
        );
      case KeyType.MLDSA65:
        return publicKey.length === MLDSA65PubSize && sig.length === MLDSA65SigSize && ml_dsa65.verify(sig, msg, publicKey, { context: MLDSA65Context });
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** The X-Self-Key header value: "<type>:<base64 key>". */
export const keyHeader = (s: Signer): string => `${s.type}:${toBase64(s.publicKey)}`;

/**
 * A fresh app key: keep `seed` secret (it is the private key), register
 * `registration` with the app: `selfchaind tx permissions register-app <owner> <app> --pubkey <registration>`.
 */
export function generateAppKey(type: KeyType = KeyType.Hybrid): { type: KeyType; seed: Uint8Array; signer: Signer; registration: string } {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(SeedSize));
  const signer = signerFromSeed(type, seed);
  let hex = '';
  for (const b of signer.publicKey) hex += b.toString(16).padStart(2, '0');
  return { type, seed, signer, registration: `${type}:${hex}` };
}

// Registry discovery with proofs, in JS: the Resolve answer of x/registry decoded
// from protobuf, each value's ICS-23 proofs (IAVL key in the registry tree, then
// the tree's root in the app hash) checked as app/store.VerifyMembership and
// registry.VerifyResolve do. Only membership proofs: an owner without nodes
// ends in a discovery error either way.
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equal, fromUtf8, utf8 } from './bytes.js';
import { ErrorCode, SELFError } from './errors.js';

const fail = (msg: string, cause?: unknown): never => {
  throw new SELFError(ErrorCode.Discovery, msg, cause !== undefined ? { cause } : {});
};

// ---- protobuf (the wire format only: varints and length-delimited fields) ----

type Fields = Map<number, (bigint | Uint8Array)[]>;

function readVarint(b: Uint8Array, pos: { i: number }): bigint {
  let x = 0n;
  for (let s = 0n; s < 70n; s += 7n) {
    if (pos.i >= b.length) fail('protobuf: truncated varint');
    const c = b[pos.i++]!;
    x |= BigInt(c & 0x7f) << s;
    if (c < 0x80) return x;
  }
  return fail('protobuf: varint too long');
}

export function pbFields(b: Uint8Array): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const tag = readVarint(b, pos);
    const field = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    let v: bigint | Uint8Array;
    if (wt === 0) v = readVarint(b, pos);
    else if (wt === 2) {
      const n = Number(readVarint(b, pos));
      if (n < 0 || pos.i + n > b.length) fail('protobuf: truncated field');
      v = b.subarray(pos.i, pos.i + n);
      pos.i += n;
    } else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      if (pos.i + n > b.length) fail('protobuf: truncated field');
      v = b.subarray(pos.i, pos.i + n);
      pos.i += n;
    } else return fail(`protobuf: wire type ${wt}`);
    if (!out.has(field)) out.set(field, []);
    out.get(field)!.push(v);
  }
  return out;
}

const bytesOf = (f: Fields, n: number): Uint8Array => {
  const v = f.get(n)?.at(-1);
  return v instanceof Uint8Array ? v : new Uint8Array(0);
};
const allBytes = (f: Fields, n: number): Uint8Array[] => (f.get(n) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array);
const intOf = (f: Fields, n: number): bigint => {
  const v = f.get(n)?.at(-1);
  return typeof v === 'bigint' ? v : 0n;
};

// ---- ICS-23 existence proofs ----

interface Leaf { hash: bigint; prehashKey: bigint; prehashValue: bigint; length: bigint; prefix: Uint8Array }
interface Inner { hash: bigint; prefix: Uint8Array; suffix: Uint8Array }
interface Exist { key: Uint8Array; value: Uint8Array; leaf: Leaf; path: Inner[] }

const SHA256 = 1n;
const NO_HASH = 0n;
const VAR_PROTO = 1n;

function encodeVarint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return new Uint8Array(out);
}

/** The existence proof of a CommitmentProof (exist, or the batch entry for key). */
function existProof(data: Uint8Array, key: Uint8Array): Exist {
  const cp = pbFields(data);
  let ex: Uint8Array | undefined;
  if (cp.has(1)) ex = bytesOf(cp, 1);
  else if (cp.has(3)) {
    for (const entry of allBytes(pbFields(bytesOf(cp, 3)), 1)) {
      const e = pbFields(entry);
      if (e.has(1) && equal(bytesOf(pbFields(bytesOf(e, 1)), 1), key)) ex = bytesOf(e, 1);
    }
  }
  if (!ex) return fail('the proof is not an existence proof of the key');
  const f = pbFields(ex);
  const lf = pbFields(bytesOf(f, 3));
  return {
    key: bytesOf(f, 1),
    value: bytesOf(f, 2),
    leaf: { hash: intOf(lf, 1), prehashKey: intOf(lf, 2), prehashValue: intOf(lf, 3), length: intOf(lf, 4), prefix: bytesOf(lf, 5) },
    path: allBytes(f, 4).map((b) => {
      const x = pbFields(b);
      return { hash: intOf(x, 1), prefix: bytesOf(x, 2), suffix: bytesOf(x, 3) };
    }),
  };
}

interface Spec { iavl: boolean; minPrefix: number; maxPrefix: number; childSize: number }
const IavlSpec: Spec = { iavl: true, minPrefix: 4, maxPrefix: 12, childSize: 33 };
const TendermintSpec: Spec = { iavl: false, minPrefix: 1, maxPrefix: 1, childSize: 32 };

/** ics23's validateIavlOps: height, size and version varints (zigzag), then nothing (leaf) or a child length byte. */
function checkIavlPrefix(prefix: Uint8Array, hash: bigint, layer: number): void {
  const pos = { i: 0 };
  for (let k = 0; k < 3; k++) {
    const u = readVarint(prefix, pos);
    const v = u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) fail('IAVL op: negative or huge value');
    if (k === 0 && v < BigInt(layer)) fail('IAVL op: height below its layer');
  }
  const rest = prefix.length - pos.i;
  if (layer === 0 ? rest !== 0 : !(rest === 1 || rest === 34) || hash !== SHA256) fail('IAVL op: malformed prefix');
}

/** ExistenceProof.Verify against a spec: the ops' shape, then the calculated root. */
function existRoot(p: Exist, spec: Spec, key: Uint8Array, value: Uint8Array): Uint8Array {
  const l = p.leaf;
  if (spec.iavl) checkIavlPrefix(l.prefix, l.hash, 0);
  if (l.hash !== SHA256 || l.prehashKey !== NO_HASH || l.prehashValue !== SHA256 || l.length !== VAR_PROTO || l.prefix[0] !== 0 || l.prefix.length < 1) {
    fail('leaf op does not match the spec');
  }
  if (p.path.length > 128) fail('proof too deep');
  p.path.forEach((op, i) => {
    if (op.hash !== SHA256) fail('inner op hash is not SHA-256');
    if (spec.iavl) checkIavlPrefix(op.prefix, op.hash, i + 1);
    if (op.prefix.length > 0 && op.prefix[0] === 0) fail('inner op prefix starts like a leaf');
    if (op.prefix.length < spec.minPrefix || op.prefix.length > spec.maxPrefix + spec.childSize) fail('inner op prefix length');
    if (op.suffix.length % spec.childSize !== 0) fail('inner op suffix malformed');
  });
  if (!equal(p.key, key) || !equal(p.value, value)) fail('the proof is for another key or value');
  if (key.length === 0 || value.length === 0) fail('empty key or value');
  let h = sha256(concat(l.prefix, encodeVarint(key.length), key, encodeVarint(32), sha256(value)));
  for (const op of p.path) {
    h = sha256(concat(op.prefix, h, op.suffix));
    if (h.length > spec.childSize && spec.childSize >= 32) fail('inner op output too long');
  }
  return h;
}

export interface ProofOp { type: string; key: Uint8Array; data: Uint8Array }

/** app/store.VerifyMembership: key=value in store storeName under appHash. */
export function verifyMembership(appHash: Uint8Array, storeName: string, key: Uint8Array, value: Uint8Array, ops: ProofOp[]): void {
  if (ops.length !== 2) fail('a proof has exactly 2 ops');
  const [kop, sop] = ops as [ProofOp, ProofOp];
  if (kop.type !== 'ics23:iavl' || !equal(kop.key, key)) fail('first proof op must be ics23:iavl for the key');
  if (sop.type !== 'ics23:simple' || fromUtf8(sop.key) !== storeName) fail(`second proof op must be ics23:simple for store ${storeName}`);
  const root = existRoot(existProof(kop.data, key), IavlSpec, key, value);
  const appRoot = existRoot(existProof(sop.data, utf8(storeName)), TendermintSpec, utf8(storeName), root);
  if (!equal(appRoot, appHash)) fail(`the ${storeName} store is not proven under the app hash`);
}

// ---- x/registry ----

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function polymod(values: number[]): number {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >>> i) & 1) chk ^= G[i]!;
  }
  return chk;
}

/** The 20 bytes of a bech32 account address (checksum checked). */
export function addressBytes(addr: string): Uint8Array {
  const s = addr.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (s !== addr && addr.toUpperCase() !== addr) fail('owner: mixed-case bech32');
  if (sep < 1 || s.length - sep < 7) fail('owner is not a bech32 address');
  const hrp = s.slice(0, sep);
  const data: number[] = [];
  for (const c of s.slice(sep + 1)) {
    const v = BECH32.indexOf(c);
    if (v < 0) fail('owner is not a bech32 address');
    data.push(v);
  }
  const exp = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  if (polymod(exp.concat(data)) !== 1) fail('owner: bad bech32 checksum');
  const words = data.slice(0, -6);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (out.length !== 20) fail(`owner: ${out.length} bytes, want 20`);
  return new Uint8Array(out);
}

export interface ProvenNode { owner: string; endpoints: string[]; signingKey: { type: string; key: Uint8Array } }

/**
 * registry.VerifyResolve: the proofs are exactly the owner's node-id list, then
 * record and liveness of each listed node, all proven under appHash (the app
 * hash of header height+1); returns the nodes decoded from the proven bytes.
 */
export function verifyResolve(appHash: Uint8Array, owner: string, resolveResponse: Uint8Array): ProvenNode[] {
  const res = pbFields(resolveResponse);
  const proofs = allBytes(res, 3).map((b) => {
    const f = pbFields(b);
    return {
      key: bytesOf(f, 1),
      value: bytesOf(f, 2),
      ops: allBytes(f, 3).map((o) => {
        const x = pbFields(o);
        return { type: fromUtf8(bytesOf(x, 1)), key: bytesOf(x, 2), data: bytesOf(x, 3) };
      }),
    };
  });
  const ownerKey = concat(new Uint8Array([4]), addressBytes(owner)); // ownersPrefix, BytesKey
  const first = proofs[0];
  if (!first || !equal(first.key, ownerKey)) return fail(`the first proof is not of ${owner}'s node list`);
  if (first.value.length === 0) return fail(`${owner} has no nodes in x/registry`);
  verifyMembership(appHash, 'registry', first.key, first.value, first.ops);
  const ids = allBytes(pbFields(first.value), 1).map(fromUtf8);
  if (proofs.length !== 1 + 2 * ids.length) fail(`the owner lists ${ids.length} nodes, want ${1 + 2 * ids.length} proofs, got ${proofs.length}`);
  return ids.map((id, i) => {
    const rec = proofs[1 + 2 * i]!;
    const live = proofs[2 + 2 * i]!;
    if (!equal(rec.key, concat(new Uint8Array([2]), utf8(id))) || !equal(live.key, concat(new Uint8Array([3]), utf8(id)))) {
      fail(`the proofs of node ${id} are for other keys`);
    }
    if (rec.value.length === 0 || live.value.length === 0) fail(`node ${id} has no record`);
    verifyMembership(appHash, 'registry', rec.key, rec.value, rec.ops);
    verifyMembership(appHash, 'registry', live.key, live.value, live.ops);
    const n = pbFields(rec.value);
    const k = pbFields(bytesOf(n, 4));
    return { owner: fromUtf8(bytesOf(n, 2)), endpoints: allBytes(n, 3).map(fromUtf8), signingKey: { type: fromUtf8(bytesOf(k, 1)), key: bytesOf(k, 2).slice() } };
  });
}

/** The height (field 1) of a Resolve answer. */
export function resolveHeight(resolveResponse: Uint8Array): number {
  return Number(intOf(pbFields(resolveResponse), 1));
}

// A CometBFT v0.40 light client: headers are trusted only when they chain, by
// validator signatures, back to a trust root the user took from somewhere they
// trust (a block explorer, their own node). It does what CometBFT's light package
// does (light/verifier.go, types/validation.go) on the JSON the node's RPC serves:
// header hash (types/block.go Header.Hash), validator set hash (SimpleValidator),
// canonical vote sign bytes (types/vote.go VoteSignBytes), > 2/3 of the header's
// own set, > trust level (1/3) of the trusted set for a skip, bisection when a
// skip is too far, and the trusting period. Keys: Ed25519 (ZIP-215, as CometBFT)
// and ML-DSA-65 (cometbft/PubKeyMlDsa65, pure mode, empty context).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { concat, equal, fromBase64, fromHex, toHex, utf8 } from './bytes.js';
import { ErrorCode, SELFError } from './errors.js';

/** Why a light client refused: SELFError.reason with code light_client / light_expired. */
export type LightFailure =
  | 'chain_id' // the header is of another chain
  | 'header_hash' // the header is not the block the commit (or the trust root, or the next header) names
  | 'signature' // a commit signature does not verify
  | 'voting_power' // not more than 2/3 of the header's validators signed
  | 'trust_level' // not enough of the trusted validators signed (and bisection could not bridge it)
  | 'validators_hash' // the validators served are not the header's
  | 'trust_root' // the node's header at the trust height is not the trusted hash
  | 'time' // times not increasing, or a header from the future
  | 'height' // heights inconsistent
  | 'commit' // a malformed commit (sizes, addresses, block id)
  | 'decode' // the node's answer is not CometBFT's JSON
  | 'rpc' // the node answered an error
  | 'expired'; // the trusted header is older than the trusting period

const fail = (reason: LightFailure, msg: string, cause?: unknown): never => {
  throw new SELFError(reason === 'expired' ? ErrorCode.LightExpired : ErrorCode.LightClient, msg, { reason, ...(cause !== undefined ? { cause } : {}) });
};

// ---- protobuf encoding (what gogoproto's Marshal writes) ----

function uvarint(n: bigint): Uint8Array {
  if (n < 0n) n = BigInt.asUintN(64, n); // int64: two's complement, 10 bytes
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return new Uint8Array(out);
}
const tag = (field: number, wire: number) => uvarint(BigInt((field << 3) | wire));
/** A varint field, omitted when zero (proto3). */
const pbVarint = (field: number, v: bigint) => (v === 0n ? new Uint8Array(0) : concat(tag(field, 0), uvarint(v)));
/** A length-delimited field, omitted when empty unless always (non-nullable messages, oneofs). */
const pbBytes = (field: number, b: Uint8Array, always = false) =>
  b.length === 0 && !always ? new Uint8Array(0) : concat(tag(field, 2), uvarint(BigInt(b.length)), b);
function pbSfixed64(field: number, v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return concat(tag(field, 1), b);
}

/** A time as CometBFT's JSON has it (RFC 3339, UTC), as google.protobuf.Timestamp parts. */
export interface LightTime { seconds: bigint; nanos: number }

export function parseTime(s: unknown): LightTime {
  const m = typeof s === 'string' ? /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/.exec(s) : null;
  if (!m) return fail('decode', `not an RFC 3339 UTC time: ${String(s).slice(0, 40)}`);
  const d = new Date(0);
  d.setUTCFullYear(+m[1]!, +m[2]! - 1, +m[3]!); // not Date.UTC: it reads years 0-99 as 19xx
  d.setUTCHours(+m[4]!, +m[5]!, +m[6]!, 0);
  if (Number.isNaN(d.getTime()) || d.getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) fail('decode', `not a valid time: ${s}`);
  return { seconds: BigInt(d.getTime() / 1000), nanos: Number((m[7] ?? '').padEnd(9, '0')) };
}
const timeNs = (t: LightTime) => t.seconds * 1_000_000_000n + BigInt(t.nanos);
const encodeTime = (t: LightTime) => concat(pbVarint(1, t.seconds), pbVarint(2, BigInt(t.nanos)));

// ---- the JSON the RPC serves, parsed strictly ----

type Rec = Record<string, unknown>;
const obj = (v: unknown, what: string): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : fail('decode', `${what} is not an object`));
const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail('decode', `${what} is not a string`));
function uint(v: unknown, what: string): bigint {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,20}$/.test(s)) return fail('decode', `${what} is not a non-negative integer`);
  const n = BigInt(s);
  if (n >= 1n << 63n) fail('decode', `${what} overflows int64`);
  return n;
}
function hexField(v: unknown, what: string, sizes: number[] = [0, 32]): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromHex(str(v, what));
  } catch (cause) {
    return fail('decode', `${what} is not hex`, cause);
  }
  if (!sizes.includes(b.length)) fail('decode', `${what} has ${b.length} bytes`);
  return b;
}
function b64Field(v: unknown, what: string): Uint8Array {
  try {
    return fromBase64(str(v, what));
  } catch (cause) {
    return fail('decode', `${what} is not base64`, cause);
  }
}

interface BlockID { hash: Uint8Array; total: bigint; partsHash: Uint8Array }

function blockID(v: unknown, what: string): BlockID {
  const o = obj(v, what);
  const parts = obj(o.parts, `${what}.parts`);
  const total = uint(parts.total, `${what}.parts.total`);
  if (total > 0xffffffffn) fail('decode', `${what}.parts.total overflows uint32`);
  return { hash: hexField(o.hash, `${what}.hash`), total, partsHash: hexField(parts.hash, `${what}.parts.hash`) };
}
const blockIDZero = (b: BlockID) => b.hash.length === 0 && b.total === 0n && b.partsHash.length === 0;
const blockIDEqual = (a: BlockID, b: BlockID) => equal(a.hash, b.hash) && a.total === b.total && equal(a.partsHash, b.partsHash);

export interface LightHeader {
  block: bigint;
  app: bigint;
  chainId: string;
  height: bigint;
  time: LightTime;
  lastBlockId: BlockID;
  lastCommitHash: Uint8Array;
  dataHash: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  consensusHash: Uint8Array;
  appHash: Uint8Array;
  lastResultsHash: Uint8Array;
  evidenceHash: Uint8Array;
  proposerAddress: Uint8Array;
}

/** Parses header JSON (a /commit answer's signed_header.header). */
export function parseHeader(v: unknown): LightHeader {
  const h = obj(v, 'header');
  const ver = obj(h.version, 'header.version');
  const hash = (k: string) => hexField(h[k], `header.${k}`);
  const header: LightHeader = {
    block: uint(ver.block ?? '0', 'header.version.block'),
    app: uint(ver.app ?? '0', 'header.version.app'),
    chainId: str(h.chain_id, 'header.chain_id'),
    height: uint(h.height, 'header.height'),
    time: parseTime(h.time),
    lastBlockId: blockID(h.last_block_id, 'header.last_block_id'),
    lastCommitHash: hash('last_commit_hash'),
    dataHash: hash('data_hash'),
    validatorsHash: hexField(h.validators_hash, 'header.validators_hash', [32]),
    nextValidatorsHash: hexField(h.next_validators_hash, 'header.next_validators_hash', [32]),
    consensusHash: hash('consensus_hash'),
    // The app hash is whatever the app returns (ours: 32 bytes); CometBFT does not bound it.
    appHash: hexField(h.app_hash, 'header.app_hash', Array.from({ length: 65 }, (_, i) => i)),
    lastResultsHash: hash('last_results_hash'),
    evidenceHash: hash('evidence_hash'),
    proposerAddress: hexField(h.proposer_address, 'header.proposer_address', [20]),
  };
  if (header.height < 1n) fail('height', 'header height must be at least 1');
  if (header.chainId.length > 50) fail('decode', 'header chain_id is longer than 50 characters');
  return header;
}

/** RFC 6962 merkle root (crypto/merkle HashFromByteSlices). */
export function merkleRoot(items: Uint8Array[]): Uint8Array {
  if (items.length === 0) return sha256(new Uint8Array(0));
  if (items.length === 1) return sha256(concat(new Uint8Array([0]), items[0]!));
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return sha256(concat(new Uint8Array([1]), merkleRoot(items.slice(0, k)), merkleRoot(items.slice(k))));
}

const encodeBlockID = (b: BlockID) => concat(pbBytes(1, b.hash), pbBytes(2, concat(pbVarint(1, b.total), pbBytes(2, b.partsHash)), true));

/** Header.Hash: the merkle root of the header's fields, each proto-encoded (cdcEncode wraps scalars). */
export function headerHash(h: LightHeader): Uint8Array {
  const bytesValue = (b: Uint8Array) => pbBytes(1, b);
  return merkleRoot([
    concat(pbVarint(1, h.block), pbVarint(2, h.app)),
    bytesValue(utf8(h.chainId)),
    pbVarint(1, h.height),
    encodeTime(h.time),
    encodeBlockID(h.lastBlockId),
    bytesValue(h.lastCommitHash),
    bytesValue(h.dataHash),
    bytesValue(h.validatorsHash),
    bytesValue(h.nextValidatorsHash),
    bytesValue(h.consensusHash),
    bytesValue(h.appHash),
    bytesValue(h.lastResultsHash),
    bytesValue(h.evidenceHash),
    bytesValue(h.proposerAddress),
  ]);
}

// ---- validators ----

export interface LightValidator { address: Uint8Array; type: 'ed25519' | 'mldsa65'; pubKey: Uint8Array; power: bigint }

/** PublicKey's oneof field numbers (proto/tendermint/crypto/keys.proto) and key sizes. */
const keyTypes = {
  'tendermint/PubKeyEd25519': { type: 'ed25519', field: 1, size: 32 },
  'cometbft/PubKeyMlDsa65': { type: 'mldsa65', field: 4, size: 1952 },
} as const;
/** types.MaxTotalVotingPower: int64 max / 8. */
const MaxTotalVotingPower = (1n << 63n) / 8n - 1n;

export function parseValidators(list: unknown): LightValidator[] {
  if (!Array.isArray(list)) return fail('decode', 'validators is not a list');
  const seen = new Set<string>();
  let total = 0n;
  return list.map((v, i) => {
    const o = obj(v, `validators[${i}]`);
    const pk = obj(o.pub_key, `validators[${i}].pub_key`);
    const kt = keyTypes[str(pk.type, `validators[${i}].pub_key.type`) as keyof typeof keyTypes];
    if (!kt) return fail('decode', `validator ${i} has a key of type ${String(pk.type)}, which this client does not verify (Ed25519 and ML-DSA-65 only)`);
    const pubKey = b64Field(pk.value, `validators[${i}].pub_key.value`);
    if (pubKey.length !== kt.size) fail('decode', `validator ${i}'s ${kt.type} key has ${pubKey.length} bytes, want ${kt.size}`);
    const power = uint(o.voting_power, `validators[${i}].voting_power`);
    if (power === 0n) fail('decode', `validator ${i} has no voting power`);
    total += power;
    if (total > MaxTotalVotingPower) fail('decode', 'the total voting power overflows');
    // The address is derived, not read: SHA-256 of the key, first 20 bytes, for both types.
    const address = sha256(pubKey).slice(0, 20);
    const k = toHex(address);
    if (seen.has(k)) fail('decode', `validator ${k} is listed twice`);
    seen.add(k);
    return { address, type: kt.type, pubKey, power };
  });
}

/** ValidatorSet.Hash: the merkle root of each SimpleValidator{pub_key, voting_power}. */
export function validatorSetHash(vals: LightValidator[]): Uint8Array {
  return merkleRoot(vals.map((v) => concat(pbBytes(1, pbBytes(v.type === 'ed25519' ? 1 : 4, v.pubKey, true), true), pbVarint(2, v.power))));
}

// ---- commits ----

interface CommitSig { flag: number; address: Uint8Array; timestamp: LightTime; signature: Uint8Array }
export interface LightCommit { height: bigint; round: bigint; blockId: BlockID; signatures: CommitSig[] }

const FlagAbsent = 1;
const FlagCommit = 2;
const FlagNil = 3;

export function parseCommit(v: unknown): LightCommit {
  const c = obj(v, 'commit');
  if (!Array.isArray(c.signatures)) return fail('decode', 'commit.signatures is not a list');
  const round = uint(c.round, 'commit.round');
  if (round > 0x7fffffffn) fail('decode', 'commit.round overflows int32');
  return {
    height: uint(c.height, 'commit.height'),
    round,
    blockId: blockID(c.block_id, 'commit.block_id'),
    signatures: c.signatures.map((s, i) => {
      const o = obj(s, `commit.signatures[${i}]`);
      const flag = Number(uint(o.block_id_flag, `commit.signatures[${i}].block_id_flag`));
      if (flag !== FlagAbsent && flag !== FlagCommit && flag !== FlagNil) fail('commit', `signature ${i} has block id flag ${flag}`);
      if (flag === FlagAbsent) return { flag, address: new Uint8Array(0), timestamp: { seconds: 0n, nanos: 0 }, signature: new Uint8Array(0) };
      const signature = b64Field(o.signature, `commit.signatures[${i}].signature`);
      if (signature.length === 0 || signature.length > 4096) fail('commit', `signature ${i} has ${signature.length} bytes`);
      return { flag, address: hexField(o.validator_address, `commit.signatures[${i}].validator_address`, [20]), timestamp: parseTime(o.timestamp), signature };
    }),
  };
}

/** VoteSignBytes of the commit's precommit at idx: a length-prefixed CanonicalVote. */
export function voteSignBytes(chainId: string, c: LightCommit, idx: number): Uint8Array {
  const s = c.signatures[idx]!;
  const bid = s.flag === FlagCommit ? c.blockId : undefined;
  const canonicalBlockID = bid && !blockIDZero(bid) ? pbBytes(4, concat(pbBytes(1, bid.hash), pbBytes(2, concat(pbVarint(1, bid.total), pbBytes(2, bid.partsHash)), true)), true) : new Uint8Array(0);
  const body = concat(
    pbVarint(1, 2n), // SIGNED_MSG_TYPE_PRECOMMIT
    pbSfixed64(2, c.height),
    pbSfixed64(3, c.round),
    canonicalBlockID,
    pbBytes(5, encodeTime(s.timestamp), true),
    pbBytes(6, utf8(chainId)),
  );
  return concat(uvarint(BigInt(body.length)), body);
}

function verifySig(v: LightValidator, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (v.type === 'ed25519') return sig.length === 64 && ed25519.verify(sig, msg, v.pubKey, { zip215: true });
    return sig.length === 3309 && ml_dsa65.verify(sig, msg, v.pubKey);
  } catch {
    return false;
  }
}

const totalPower = (vals: LightValidator[]) => vals.reduce((n, v) => n + v.power, 0n);

/**
 * VerifyCommitLight (byIndex) and VerifyCommitLightTrusting (by address): more
 * than needed of vals' power signed commit for its block, each signature checked
 * until the tally is reached.
 */
function tallyCommit(chainId: string, vals: LightValidator[], c: LightCommit, needed: bigint, byIndex: boolean, short: LightFailure): void {
  const seen = new Set<number>();
  let tally = 0n;
  for (let idx = 0; idx < c.signatures.length; idx++) {
    const s = c.signatures[idx]!;
    if (s.flag !== FlagCommit) continue;
    let vi = idx;
    if (byIndex) {
      if (!equal(vals[idx]!.address, s.address)) fail('commit', `signature ${idx} is by ${toHex(s.address)}, not validator ${idx} (${toHex(vals[idx]!.address)})`);
    } else {
      vi = vals.findIndex((v) => equal(v.address, s.address));
      if (vi < 0) continue; // not in the trusted set
      if (seen.has(vi)) fail('commit', `validator ${toHex(s.address)} signed twice`);
      seen.add(vi);
    }
    const v = vals[vi]!;
    if (!verifySig(v, voteSignBytes(chainId, c, idx), s.signature)) fail('signature', `the signature of validator ${toHex(v.address)} (${v.type}) on block ${c.height} does not verify`);
    tally += v.power;
    if (tally > needed) return;
  }
  fail(short, `block ${c.height}: signed by ${tally} of ${totalPower(vals)} voting power, need more than ${needed}`);
}

// ---- light blocks and the verifier ----

/** A signed header and its validator set, as the node served them. */
export interface LightBlock { header: LightHeader; commit: LightCommit; validators: LightValidator[]; hash: Uint8Array }

/** Parses /commit and /validators answers ("result" objects) into a light block. */
export function parseLightBlock(commitResult: unknown, validatorsResult: unknown): LightBlock {
  const sh = obj(obj(commitResult, 'commit result').signed_header, 'signed_header');
  const header = parseHeader(sh.header);
  const vr = obj(validatorsResult, 'validators result');
  return { header, commit: parseCommit(sh.commit), validators: parseValidators(vr.validators), hash: headerHash(header) };
}

export interface VerifyParams {
  chainId: string;
  trustingPeriodMs: number;
  /** Now, in Unix ms. */
  nowMs: number;
  /** How far a header's time may be ahead of now (CometBFT's default 10 s). */
  maxClockDriftMs?: number;
  /** The fraction of the trusted set that must sign a skip (default 1/3, at least 1/3). */
  trustLevel?: { numerator: number; denominator: number };
}

const BlockProtocol = 11n;

/** SignedHeader.ValidateBasic plus the validator set against the header. */
function checkBlock(b: LightBlock, chainId: string): void {
  // Header.ValidateBasic: the block protocol this client hashes (CometBFT v0.40's version.BlockProtocol).
  if (b.header.block !== BlockProtocol) fail('decode', `header ${b.header.height} is of block protocol ${b.header.block}; this client verifies ${BlockProtocol}`);
  if (b.header.chainId !== chainId) fail('chain_id', `the header is of chain ${JSON.stringify(b.header.chainId)}, not ${JSON.stringify(chainId)}`);
  if (b.commit.height !== b.header.height) fail('height', `the commit is for height ${b.commit.height}, the header ${b.header.height}`);
  if (!equal(b.hash, b.commit.blockId.hash)) fail('header_hash', `the commit signs block ${toHex(b.commit.blockId.hash)}, the header served is block ${toHex(b.hash)}`);
  if (!equal(validatorSetHash(b.validators), b.header.validatorsHash)) fail('validators_hash', `the validators served for height ${b.header.height} are not the header's validators_hash`);
  if (b.validators.length !== b.commit.signatures.length) fail('commit', `${b.commit.signatures.length} signatures for ${b.validators.length} validators`);
}

const expired = (trusted: LightBlock, p: VerifyParams) => timeNs(trusted.header.time) + BigInt(p.trustingPeriodMs) * 1_000_000n <= BigInt(p.nowMs) * 1_000_000n;

function checkExpiry(trusted: LightBlock, p: VerifyParams): void {
  if (expired(trusted, p)) {
    fail('expired', `the trusted header ${trusted.header.height} is older than the trusting period (${p.trustingPeriodMs} ms): take a newer trust root`);
  }
}

/** Verifies b on its own: ValidateBasic and > 2/3 of its own validators (a trust root). */
export function verifyOwnCommit(b: LightBlock, chainId: string): void {
  checkBlock(b, chainId);
  tallyCommit(chainId, b.validators, b.commit, (totalPower(b.validators) * 2n) / 3n, true, 'voting_power');
}

/**
 * light.Verify: untrusted (height Y) from trusted (height X < Y): adjacent
 * (Y = X+1, validators_hash = trusted next_validators_hash) or a skip (trust
 * level of the trusted set signed); then > 2/3 of untrusted's own set. A skip
 * that is too far throws reason trust_level (bisect and retry).
 */
export function verifyLightBlock(trusted: LightBlock, untrusted: LightBlock, p: VerifyParams): void {
  checkExpiry(trusted, p);
  checkBlock(untrusted, p.chainId);
  const u = untrusted.header;
  if (u.height <= trusted.header.height) fail('height', `header ${u.height} is not above the trusted ${trusted.header.height}`);
  if (timeNs(u.time) <= timeNs(trusted.header.time)) fail('time', `header ${u.height}'s time is not after the trusted header's`);
  if (timeNs(u.time) >= (BigInt(p.nowMs) + BigInt(p.maxClockDriftMs ?? 10_000)) * 1_000_000n) fail('time', `header ${u.height} is from the future (check this machine's clock)`);
  if (u.height === trusted.header.height + 1n) {
    if (!equal(u.validatorsHash, trusted.header.nextValidatorsHash)) fail('validators_hash', `header ${u.height}'s validators are not the trusted header's next validators`);
  } else {
    const tl = p.trustLevel ?? { numerator: 1, denominator: 3 };
    if (tl.denominator <= 0 || tl.numerator * 3 < tl.denominator || tl.numerator > tl.denominator) throw new SELFError(ErrorCode.InvalidArgument, 'trustLevel must be within [1/3, 1]');
    const needed = (totalPower(trusted.validators) * BigInt(tl.numerator)) / BigInt(tl.denominator);
    tallyCommit(p.chainId, trusted.validators, untrusted.commit, needed, false, 'trust_level');
  }
  tallyCommit(p.chainId, untrusted.validators, untrusted.commit, (totalPower(untrusted.validators) * 2n) / 3n, true, 'voting_power');
}

// ---- the client: fetches from a node's RPC, verifies, remembers ----

export interface LightClientOptions {
  /** A CometBFT RPC, e.g. http://127.0.0.1:26657 (tcp:// is read as http://). Any node: it need not be trusted. */
  rpc: string;
  chainId: string;
  /** The trust root: a height and its header hash from a source you trust (a block explorer, your own node). */
  trust: { height: number; hash: Uint8Array | string };
  /** How long a verified header may be used to verify newer ones; less than the chain's unbonding time (e.g. 2/3 of it). */
  trustingPeriodMs: number;
  trustLevel?: { numerator: number; denominator: number };
  maxClockDriftMs?: number;
  fetch?: (url: string) => Promise<Response>;
  /** The clock (Unix ms); Date.now by default. */
  now?: () => number;
}

export interface VerifiedHeader { height: number; hash: Uint8Array; appHash: Uint8Array; time: Date; header: LightHeader }

export interface LightClient {
  readonly chainId: string;
  /** The header at height, verified from the trust root (fetched and checked as needed). */
  verifyHeader(height: number): Promise<VerifiedHeader>;
  /** The app hash of header `height`, verified: the root ICS-23 proofs of height-1's state are checked against. */
  verifiedAppHash(height: number): Promise<Uint8Array>;
}

const MaxBisections = 64;

export function createLightClient(opts: LightClientOptions): LightClient {
  if (!opts || typeof opts.rpc !== 'string' || typeof opts.chainId !== 'string' || opts.chainId === '') {
    throw new SELFError(ErrorCode.InvalidArgument, 'createLightClient needs rpc and chainId');
  }
  if (!opts.trust || !Number.isSafeInteger(opts.trust.height) || opts.trust.height < 1) throw new SELFError(ErrorCode.InvalidArgument, 'trust.height must be a block height (>= 1)');
  let trustHash: Uint8Array;
  try {
    trustHash = typeof opts.trust.hash === 'string' ? fromHex(opts.trust.hash) : opts.trust.hash;
  } catch (cause) {
    throw new SELFError(ErrorCode.InvalidArgument, 'trust.hash must be the 32-byte header hash, in hex', { cause });
  }
  if (!(trustHash instanceof Uint8Array) || trustHash.length !== 32) throw new SELFError(ErrorCode.InvalidArgument, 'trust.hash must be the 32-byte header hash, in hex');
  if (!(opts.trustingPeriodMs > 0)) throw new SELFError(ErrorCode.InvalidArgument, 'trustingPeriodMs must be positive (less than the chain\'s unbonding time)');
  const base = opts.rpc.replace(/^tcp:\/\//, 'http://').replace(/\/+$/, '');
  const get = opts.fetch ?? ((u: string) => globalThis.fetch(u));
  const now = opts.now ?? (() => Date.now());
  const params = (): VerifyParams => ({
    chainId: opts.chainId,
    trustingPeriodMs: opts.trustingPeriodMs,
    nowMs: now(),
    ...(opts.maxClockDriftMs !== undefined ? { maxClockDriftMs: opts.maxClockDriftMs } : {}),
    ...(opts.trustLevel ? { trustLevel: opts.trustLevel } : {}),
  });

  const rpc = async (path: string): Promise<unknown> => {
    let body: unknown;
    try {
      const res = await get(base + path);
      body = await res.json();
    } catch (cause) {
      throw new SELFError(ErrorCode.Transport, `the node at ${base} could not be queried (${path})`, { cause });
    }
    const b = body as { result?: unknown; error?: { message?: string; data?: string } } | null;
    if (!b || typeof b !== 'object' || !b.result) fail('rpc', `the node answered ${path} with an error: ${String(b?.error?.data ?? b?.error?.message ?? 'no result').slice(0, 200)}`);
    return b!.result;
  };
  const fetchHeader = async (h: bigint) => obj(obj(await rpc(`/commit?height=${h}`), 'commit result').signed_header, 'signed_header');
  const fetchBlock = async (h: bigint): Promise<LightBlock> => {
    const c = await rpc(`/commit?height=${h}`);
    const vals: unknown[] = [];
    for (let page = 1; page <= 100; page++) {
      const r = obj(await rpc(`/validators?height=${h}&page=${page}&per_page=100`), 'validators result');
      if (!Array.isArray(r.validators)) fail('decode', 'validators is not a list');
      vals.push(...(r.validators as unknown[]));
      const total = Number(uint(r.total, 'validators total'));
      if (vals.length >= total || (r.validators as unknown[]).length === 0) break;
    }
    const b = parseLightBlock(c, { validators: vals });
    if (b.header.height !== h) fail('height', `asked for header ${h}, the node served ${b.header.height}`);
    return b;
  };

  // Verified blocks (validators too): the bases for forward verification.
  const anchors = new Map<bigint, LightBlock>();
  // Verified headers, including those verified backwards by hash (no validators).
  const headers = new Map<bigint, LightHeader>();
  let root: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const initRoot = async () => {
    const h = BigInt(opts.trust.height);
    const b = await fetchBlock(h);
    if (b.header.chainId !== opts.chainId) fail('chain_id', `the node's header ${h} is of chain ${JSON.stringify(b.header.chainId)}, not ${JSON.stringify(opts.chainId)}`);
    if (!equal(b.hash, trustHash)) fail('trust_root', `the node's header ${h} is ${toHex(b.hash).toUpperCase()}, not the trusted ${toHex(trustHash).toUpperCase()}: this node is on another chain or lying`);
    checkExpiry(b, params());
    verifyOwnCommit(b, opts.chainId);
    anchors.set(h, b);
    headers.set(h, b.header);
  };

  // light.Client's verifySkipping: try to jump; when the trusted set signed too
  // little, verify a header half-way first.
  const forward = async (from: LightBlock, target: bigint) => {
    let verified = from;
    const pending: LightBlock[] = [await fetchBlock(target)];
    for (let steps = 0; pending.length > 0; steps++) {
      if (steps > MaxBisections * 2) fail('trust_level', `could not bridge header ${verified.header.height} to ${target} by bisection`);
      const next = pending[pending.length - 1]!;
      try {
        verifyLightBlock(verified, next, params());
      } catch (e) {
        if (!(e instanceof SELFError && e.reason === 'trust_level')) throw e;
        const pivot = verified.header.height + (next.header.height - verified.header.height) / 2n;
        if (pivot <= verified.header.height || pivot >= next.header.height) throw e;
        pending.push(await fetchBlock(pivot));
        continue;
      }
      pending.pop();
      verified = next;
      anchors.set(next.header.height, next);
      headers.set(next.header.height, next.header);
    }
  };

  // light.VerifyBackwards: each lower header must hash to the last block id of the one above.
  const backward = async (above: LightHeader, target: bigint) => {
    let cur = above;
    for (let h = above.height - 1n; h >= target; h--) {
      const hdr = parseHeader((await fetchHeader(h)).header);
      if (hdr.height !== h) fail('height', `asked for header ${h}, the node served ${hdr.height}`);
      if (hdr.chainId !== opts.chainId) fail('chain_id', `header ${h} is of chain ${JSON.stringify(hdr.chainId)}`);
      if (!equal(headerHash(hdr), cur.lastBlockId.hash)) fail('header_hash', `header ${h} is not the block header ${cur.height} follows`);
      if (timeNs(hdr.time) >= timeNs(cur.time)) fail('time', `header ${h}'s time is not before header ${cur.height}'s`);
      headers.set(h, hdr);
      cur = hdr;
    }
  };

  const verify = async (height: number): Promise<LightHeader> => {
    if (!Number.isSafeInteger(height) || height < 1) throw new SELFError(ErrorCode.InvalidArgument, `height must be a block height, got ${height}`);
    const target = BigInt(height);
    if (!root) root = initRoot().catch((e) => {
      root = undefined; // a failed start is retried on the next call (e.g. the node was down)
      throw e;
    });
    await root;
    const have = headers.get(target);
    if (have) return have;
    let below: LightBlock | undefined;
    for (const [h, b] of anchors) if (h < target && (!below || h > below.header.height)) below = b;
    if (below) {
      await forward(below, target);
    } else {
      let above: LightHeader | undefined;
      for (const [h, hd] of headers) if (h > target && (!above || h < above.height)) above = hd;
      checkExpiry(anchors.get(BigInt(opts.trust.height))!, params());
      await backward(above!, target);
    }
    return headers.get(target)!;
  };

  const client: LightClient = {
    chainId: opts.chainId,
    verifyHeader(height: number) {
      // One verification at a time: they share the store.
      const run = queue.then(() => verify(height));
      queue = run.catch(() => undefined);
      return run.then((h) => ({ height: Number(h.height), hash: headerHash(h), appHash: h.appHash.slice(), time: new Date(Number(timeNs(h.time) / 1_000_000n)), header: h }));
    },
    async verifiedAppHash(height: number) {
      return (await client.verifyHeader(height)).appHash;
    },
  };
  return client;
}

/** A helper for trust roots: the header hash as CometBFT prints it (upper-case hex). */
export const headerHashHex = (h: LightHeader) => toHex(headerHash(h)).toUpperCase();

// The light client on headers signed by real CometBFT types: test/vectors/light.json,
// made (and each one-step verdict checked with CometBFT's own light.Verify) by
// go test ./cmd/selfinstance -run TestJSLightVectors. Validators: 2 Ed25519 and
// 2 ML-DSA-65 up to height 4, then a set sharing 1/8 of the power (bisection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createLightClient,
  parseLightBlock,
  parseHeader,
  parseTime,
  headerHash,
  validatorSetHash,
  voteSignBytes,
  verifyLightBlock,
  isSELFError,
  SELFError,
  toHex,
} from '../../dist/index.js';

const v = JSON.parse(readFileSync(new URL('../vectors/light.json', import.meta.url), 'utf8'));

/** A node serving the vector blocks (patched by serve), counting requests. */
function node(serve = {}) {
  const asked = [];
  const fetch = async (url) => {
    const u = new URL(url);
    asked.push(u.pathname + u.search);
    const h = u.searchParams.get('height');
    const b = serve[h] ?? v.blocks[h];
    if (!b) return new Response(JSON.stringify({ jsonrpc: '2.0', id: -1, error: { code: -32603, message: 'Internal error', data: `height ${h} must be less than or equal to the current blockchain height 8` } }));
    const result = u.pathname === '/commit' ? b.commit : u.pathname === '/validators' ? b.validators : undefined;
    return new Response(JSON.stringify({ jsonrpc: '2.0', id: -1, result }));
  };
  return { fetch, asked };
}

const client = (c, fetch) =>
  createLightClient({ rpc: 'http://node.invalid:26657', chainId: c.chain_id, trust: { height: c.trust_height, hash: c.trust_hash }, trustingPeriodMs: v.trusting_period_ms, fetch, now: () => c.now_ms });

test('header and validator set hashes are CometBFT\'s', () => {
  for (const [h, b] of Object.entries(v.blocks)) {
    const lb = parseLightBlock(b.commit, b.validators);
    assert.equal(toHex(lb.hash).toUpperCase(), b.commit.signed_header.commit.block_id.hash, `header ${h}`);
    assert.equal(toHex(validatorSetHash(lb.validators)).toUpperCase(), b.commit.signed_header.header.validators_hash, `validators ${h}`);
    assert.deepEqual([...new Set(lb.validators.map((x) => x.type))].sort(), ['ed25519', 'mldsa65']);
    // Each validator's vote has its own timestamp, so its own sign bytes.
    const sb = lb.commit.signatures.map((_, i) => toHex(voteSignBytes(v.chain_id, lb.commit, i)));
    assert.equal(new Set(sb).size, sb.length);
  }
});

for (const c of v.cases) {
  test(`vector: ${c.name} → ${c.want}`, async () => {
    const n = node(c.serve);
    const lc = client(c, n.fetch);
    if (c.want === 'ok') {
      const hdr = await lc.verifyHeader(c.height);
      assert.equal(toHex(hdr.appHash).toUpperCase(), v.blocks[c.height].commit.signed_header.header.app_hash);
      assert.equal(toHex(hdr.hash).toUpperCase(), v.blocks[c.height].commit.signed_header.commit.block_id.hash);
      assert.deepEqual(await lc.verifiedAppHash(c.height), hdr.appHash);
      return;
    }
    const [code, reason] = c.want.split('/');
    await assert.rejects(lc.verifiedAppHash(c.height), (e) => {
      assert.ok(e instanceof SELFError, String(e));
      assert.equal(`${e.code}/${e.reason}`, c.want, e.message);
      assert.match(e.message, /What to do:/);
      return isSELFError(e, code) && e.reason === reason;
    });
  });
}

test('bisection fetches a header half-way, and verified headers are not fetched again', async () => {
  const n = node();
  const c = v.cases.find((x) => x.name.startsWith('bisection'));
  const lc = client(c, n.fetch);
  await lc.verifyHeader(8);
  const commits = n.asked.filter((p) => p.startsWith('/commit')).map((p) => Number(new URL('http://x' + p).searchParams.get('height')));
  assert.deepEqual(commits, [1, 8, 4, 6, 5]);
  const before = n.asked.length;
  for (const h of [1, 4, 5, 8]) await lc.verifyHeader(h);
  assert.equal(n.asked.length, before);
  // Between verified headers: one more fetch, from the nearest trusted below.
  await lc.verifyHeader(7);
  assert.deepEqual(n.asked.slice(before).filter((p) => p.startsWith('/commit')), ['/commit?height=7']);
});

test('a refused header leaves the client as it was: the real one still verifies', async () => {
  const c = v.cases.find((x) => x.name === 'tampered signature');
  const serve = { ...c.serve };
  const lc = client(c, node(serve).fetch);
  await assert.rejects(lc.verifiedAppHash(4), (e) => e.reason === 'signature');
  delete serve['4'];
  assert.equal(toHex(await lc.verifiedAppHash(4)).toUpperCase(), v.blocks['4'].commit.signed_header.header.app_hash);
});

test('verifyLightBlock: adjacent and skipping, as light.Verify', () => {
  const b = (h) => parseLightBlock(v.blocks[h].commit, v.blocks[h].validators);
  const p = { chainId: v.chain_id, trustingPeriodMs: v.trusting_period_ms, nowMs: v.cases[0].now_ms };
  verifyLightBlock(b(1), b(2), p);
  verifyLightBlock(b(1), b(4), p);
  assert.throws(() => verifyLightBlock(b(1), b(8), p), (e) => e.code === 'light_client' && e.reason === 'trust_level');
  assert.throws(() => verifyLightBlock(b(2), b(1), p), (e) => e.reason === 'height');
  assert.throws(() => verifyLightBlock(b(1), b(4), { ...p, trustLevel: { numerator: 1, denominator: 4 } }), (e) => e.code === 'invalid_argument');
  // Trust level 1 needs more than all the power, as CometBFT's (tally > total * 1/1): never.
  assert.throws(() => verifyLightBlock(b(1), b(4), { ...p, trustLevel: { numerator: 1, denominator: 1 } }), (e) => e.reason === 'trust_level');
});

test('times: RFC 3339 with nanoseconds, years before 1970 and 0001', () => {
  assert.deepEqual(parseTime('2026-01-02T03:04:06.500000007Z'), { seconds: 1767323046n, nanos: 500000007 });
  assert.deepEqual(parseTime('1969-12-31T23:59:59.5Z'), { seconds: -1n, nanos: 500000000 });
  assert.deepEqual(parseTime('0001-01-01T00:00:00Z'), { seconds: -62135596800n, nanos: 0 });
  for (const bad of ['2026-02-30T00:00:00Z', '2026-01-02T03:04:06+01:00', '2026-01-02 03:04:06Z', 7, null]) {
    assert.throws(() => parseTime(bad), (e) => isSELFError(e, 'light_client') && e.reason === 'decode', String(bad));
  }
});

test('arguments are checked before anything is fetched', () => {
  const ok = { rpc: 'http://x', chainId: 'c', trust: { height: 1, hash: '00'.repeat(32) }, trustingPeriodMs: 1 };
  for (const bad of [{ chainId: '' }, { trust: { height: 0, hash: '00'.repeat(32) } }, { trust: { height: 1, hash: 'zz' } }, { trust: { height: 1, hash: '00' } }, { trustingPeriodMs: 0 }]) {
    assert.throws(() => createLightClient({ ...ok, ...bad }), (e) => isSELFError(e, 'invalid_argument'), JSON.stringify(bad));
  }
});

test('a node that is down or answers garbage: typed errors, never a crash', async () => {
  const c = v.cases[0];
  const down = client(c, async () => {
    throw new TypeError('fetch failed');
  });
  await assert.rejects(down.verifiedAppHash(2), (e) => isSELFError(e, 'transport'));
  const answers = [
    'null',
    '{"result":{}}',
    '{"result":{"signed_header":{"header":{"height":"x"}}}}',
    '{"error":{"data":"no"}}',
    JSON.stringify({ result: { signed_header: { ...v.blocks['1'].commit.signed_header, header: { ...v.blocks['1'].commit.signed_header.header, validators_hash: 'AB' } } } }),
  ];
  for (const a of answers) {
    const lc = client(c, async () => new Response(a));
    await assert.rejects(lc.verifiedAppHash(2), (e) => isSELFError(e, 'light_client') && ['decode', 'rpc'].includes(e.reason), a.slice(0, 80));
  }
});

test('fuzz: mutated commits and validator sets never verify and never throw anything but SELFError', () => {
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const base = v.blocks['2'];
  const trusted = parseLightBlock(v.blocks['1'].commit, v.blocks['1'].validators);
  const p = { chainId: v.chain_id, trustingPeriodMs: v.trusting_period_ms, nowMs: v.cases[0].now_ms };
  for (let i = 0; i < 400; i++) {
    const s = JSON.stringify(base);
    // Change one character of the JSON (hex digits, base64, numbers, names).
    let at = rnd(s.length);
    while (!/[0-9A-Za-z]/.test(s[at])) at = (at + 1) % s.length;
    const ch = s[at] === 'A' ? 'B' : 'A';
    const m = JSON.parse(s.slice(0, at) + ch + s.slice(at + 1));
    try {
      const lb = parseLightBlock(m.commit, m.validators);
      verifyLightBlock(trusted, lb, p);
      // It verified: then the change was in nothing hashed or signed (proposer_priority, the JSON's own
      // address, counts), or in the last commit signature (address, time, signature), which, like CometBFT's VerifyCommitLight, is not
      // checked once the first three validators' 70 of 80 are more than 2/3.
      const unchecked = (b) => ({ ...b, commit: { ...b.commit, signatures: b.commit.signatures.map((x, i) => (i < 3 ? x : null)) } });
      assert.deepEqual(unchecked(lb), unchecked(parseLightBlock(base.commit, base.validators)), `a mutation verified at ${at}: ${s.slice(at - 40, at + 10)}`);
    } catch (e) {
      assert.ok(e instanceof SELFError, `${e} at ${at}`);
    }
  }
});

test('headerHash is over every header field', () => {
  const h = v.blocks['3'].commit.signed_header.header;
  const want = toHex(headerHash(parseHeader(h)));
  for (const k of Object.keys(h)) {
    if (typeof h[k] !== 'string' || h[k] === '') continue;
    const m = { ...h };
    m[k] = k === 'time' ? '2026-01-02T03:04:06.500000008Z' : k === 'chain_id' ? 'x' : /^\d+$/.test(h[k]) ? String(BigInt(h[k]) + 1n) : (h[k][0] === 'A' ? 'B' : 'A') + h[k].slice(1);
    assert.notEqual(toHex(headerHash(parseHeader(m))), want, k);
  }
});

test('a header of another block protocol is refused (the hash would be of other fields)', async () => {
  const c = v.cases[0];
  const b = structuredClone(v.blocks['2']);
  b.commit.signed_header.header.version.block = '12';
  await assert.rejects(client(c, node({ 2: b }).fetch).verifiedAppHash(2), (e) => isSELFError(e, 'light_client') && e.reason === 'decode' && /block protocol 12/.test(e.message));
});

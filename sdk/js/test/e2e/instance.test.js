// End to end against a real instance: run by TestJSSDKEndToEnd
// (cmd/selfinstance/js_e2e_test.go), which starts a chain, the selfinstance
// gateway and a model stand-in, and finds the instance's URL and TLS key in
// x/registry. Tests in this file run in order and share the sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SELFClient, SELFError, isSELFError, instanceFromResolve, discover, toHex, createLightClient, headerHash, parseHeader } from '@selfchain/sdk';
import { pbFields, resolveHeight } from '../../dist/proof.js';
import { sha256 } from '@noble/hashes/sha2.js';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run this through go test ./cmd/selfinstance -run TestJSSDKEndToEnd`);
  return v;
};
const instanceUrl = env('SELF_INSTANCE_URL');
const tlsKey = env('SELF_TLS_KEY');
const inst = (...args) => execFileSync(env('SELF_INSTANCE_BIN'), [...args, '--home', env('SELF_INSTANCE_HOME')], { encoding: 'utf8' });
const client = (appId, type, seedVar, extra = {}) =>
  new SELFClient({ appId, appKey: { type, seed: env(seedVar) }, instanceUrl, tlsKey, environment: 'local', ...extra });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, ms, cond) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const code = async (p) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof SELFError)) throw e;
    return e.code;
  }
};

const notes = client('notes', 'hybrid', 'SELF_NOTES_SEED');
const scopes = ['ai:chat', 'ai:context', 'storage:read', 'storage:write', 'storage:delete'];
let auth;

test('a server with another TLS key is refused before anything is sent', async () => {
  const wrong = new SELFClient({ appId: 'notes', appKey: { type: 'hybrid', seed: env('SELF_NOTES_SEED') }, instanceUrl, tlsKey: randomBytes(32) });
  await assert.rejects(wrong.info(), (e) => isSELFError(e, 'tls_key') && /registered key/.test(e.message));
  await assert.rejects(wrong.authenticate({ permissions: ['ai:chat'] }), (e) => isSELFError(e, 'tls_key'));
});

test('the verified registry record names this instance and its TLS key', async () => {
  const { readFileSync } = await import('node:fs');
  const loc = instanceFromResolve(readFileSync(env('SELF_RESOLVE'), 'utf8'));
  assert.equal(loc.instanceUrl, instanceUrl);
  assert.equal(toHex(loc.tlsKey), tlsKey);
  assert.equal(loc.owner, env('SELF_OWNER'));
  const unverified = JSON.parse(readFileSync(env('SELF_RESOLVE'), 'utf8'));
  unverified.verified = false;
  assert.throws(() => instanceFromResolve(unverified), (e) => isSELFError(e, 'discovery') && /--verify/.test(e.message));
});

test('discover: the instance from x/registry on a node, proofs checked; a lying node is caught', async () => {
  const loc = await discover({ nodeUrl: env('SELF_NODE_RPC'), owner: env('SELF_OWNER') });
  assert.equal(loc.instanceUrl, instanceUrl);
  assert.equal(toHex(loc.tlsKey), tlsKey);
  // A node that rewrites the endpoint in its answer (to an attacker's server):
  // in the decoded copy only (ignored: only proven bytes count), or everywhere
  // (the proofs no longer reach the app hash).
  const lying = (everywhere) => async (url) => {
    const res = await fetch(url);
    if (!url.includes('abci_query')) return res;
    const body = await res.json();
    const v = Buffer.from(body.result.response.value, 'base64');
    let n = 0;
    for (let at = v.indexOf('127.0.0.1:'); at >= 0 && (everywhere || n === 0); at = v.indexOf('127.0.0.1:', at + 1), n++) {
      v[at + 2] = '8'.charCodeAt(0); // 128.0.0.1
    }
    assert.ok(n >= (everywhere ? 3 : 1), `${n} copies of the endpoint`);
    body.result.response.value = v.toString('base64');
    return new Response(JSON.stringify(body));
  };
  assert.equal((await discover({ nodeUrl: env('SELF_NODE_RPC'), owner: env('SELF_OWNER'), fetch: lying(false) })).instanceUrl, instanceUrl);
  await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner: env('SELF_OWNER'), fetch: lying(true) }), (e) => isSELFError(e, 'discovery'));
  // A proof checked against another app hash.
  await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner: env('SELF_OWNER'), trustedAppHash: async () => new Uint8Array(32) }),
    (e) => isSELFError(e, 'discovery') && /app hash/.test(e.message));
  await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner: env('SELF_OWNER').slice(0, -1) + (env('SELF_OWNER').endsWith('q') ? 'p' : 'q') }), (e) => isSELFError(e, 'discovery'));
});

// forgeResolve is a node that lies well: it rewrites the instance's endpoint in a
// Resolve answer (to 128.0.0.1) and recomputes every hash above the record, in
// the IAVL proof, the other proofs' sibling hashes and the store proof, so the
// proofs are sound under a forged app hash, which it returns.
function forgeResolve(value) {
  const list = (f, n) => f.get(n) ?? [];
  const varint = (n) => {
    const out = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return Buffer.from(out);
  };
  // ICS-23 existence proof: leaf hash of key=value, then the path.
  const chain = (data, val) => {
    const ex = pbFields(list(pbFields(data), 1)[0]);
    const key = list(ex, 1)[0];
    const prefix = list(pbFields(list(ex, 3)[0]), 5)[0];
    let h = sha256(Buffer.concat([prefix, varint(key.length), key, varint(32), sha256(val)]));
    const out = [h];
    for (const op of list(ex, 4)) {
      const f = pbFields(op);
      h = sha256(Buffer.concat([list(f, 2)[0] ?? Buffer.alloc(0), h, list(f, 3)[0] ?? Buffer.alloc(0)]));
      out.push(h);
    }
    return out;
  };
  const proofs = list(pbFields(value), 3).map((b) => pbFields(b));
  const rec = proofs.find((p) => Buffer.from(list(p, 2)[0] ?? []).includes('127.0.0.1:'));
  assert.ok(rec, 'no proof of the instance record');
  const oldVal = Buffer.from(list(rec, 2)[0]);
  const newVal = Buffer.from(oldVal.toString('latin1').replaceAll('127.0.0.1:', '128.0.0.1:'), 'latin1');
  const [iavl, store] = list(rec, 3).map((o) => list(pbFields(o), 3)[0]);
  const oldIavl = chain(iavl, oldVal);
  const newIavl = chain(iavl, newVal);
  const oldStore = chain(store, oldIavl.at(-1));
  const newStore = chain(store, newIavl.at(-1));
  let forged = Buffer.from(Buffer.from(value).toString('latin1').replaceAll('127.0.0.1:', '128.0.0.1:'), 'latin1');
  const pairs = [...oldIavl.map((h, i) => [h, newIavl[i]]), ...oldStore.map((h, i) => [h, newStore[i]])];
  for (const [o, n] of pairs) {
    for (let at = forged.indexOf(Buffer.from(o)); at >= 0; at = forged.indexOf(Buffer.from(o), at + 32)) forged.set(n, at);
  }
  return { forged, appHash: newStore.at(-1) };
}

test('discover through the light client: the header verified from a trust root; a node forging record, proofs and header is refused', async () => {
  const rpcUrl = env('SELF_NODE_RPC').replace(/^tcp:/, 'http:');
  const owner = env('SELF_OWNER');
  // The trust root, as a user takes it from a block explorer or their own node: a height and its hash.
  const status = (await (await fetch(`${rpcUrl}/status`)).json()).result;
  const chainId = status.node_info.network;
  const trustHeight = Number(status.sync_info.latest_block_height) - 1;
  const trustHash = (await (await fetch(`${rpcUrl}/commit?height=${trustHeight}`)).json()).result.signed_header.commit.block_id.hash;
  const options = { rpc: rpcUrl, chainId, trust: { height: trustHeight, hash: trustHash }, trustingPeriodMs: 14 * 24 * 3600_000 };
  await sleep(1000); // a few blocks on: the client jumps from the trust root to the answer's height

  const lc = createLightClient(options);
  const loc = await discover({ nodeUrl: env('SELF_NODE_RPC'), owner, lightClient: lc });
  assert.equal(loc.instanceUrl, instanceUrl);
  assert.equal(toHex(loc.tlsKey), tlsKey);
  // trustedAppHash still works, e.g. fed by the same client.
  assert.equal((await discover({ nodeUrl: env('SELF_NODE_RPC'), owner, trustedAppHash: (h) => lc.verifiedAppHash(h) })).instanceUrl, instanceUrl);

  // The liar: a forged Resolve answer with sound proofs, and header height+1 with the forged app hash;
  // 'block_id' also makes the commit name the forged header.
  const liar = (mode) => {
    const forgedAt = new Map();
    return async (url) => {
      const res = await fetch(url);
      if (url.includes('abci_query')) {
        const body = await res.json();
        const v = Buffer.from(body.result.response.value, 'base64');
        const { forged, appHash } = forgeResolve(v);
        forgedAt.set(resolveHeight(v) + 1, appHash);
        body.result.response.value = forged.toString('base64');
        return new Response(JSON.stringify(body));
      }
      const m = /\/commit\?height=(\d+)/.exec(url);
      if (!m || !forgedAt.has(Number(m[1]))) return res;
      const body = await res.json();
      if (!body.result) return new Response(JSON.stringify(body));
      const sh = body.result.signed_header;
      sh.header.app_hash = toHex(forgedAt.get(Number(m[1]))).toUpperCase();
      if (mode === 'block_id') sh.commit.block_id.hash = toHex(headerHash(parseHeader(sh.header))).toUpperCase();
      return new Response(JSON.stringify(body));
    };
  };
  // The forgery is sound: without a light client, discover is fooled. This is the gap the light client closes.
  const fooled = await discover({ nodeUrl: env('SELF_NODE_RPC'), owner, fetch: liar('app_hash') });
  assert.equal(fooled.instanceUrl, instanceUrl.replace('127.0.0.1', '128.0.0.1'));
  for (const [mode, reason] of [['app_hash', 'header_hash'], ['block_id', 'signature']]) {
    const fetchLie = liar(mode);
    const lying = createLightClient({ ...options, fetch: fetchLie });
    await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner, fetch: fetchLie, lightClient: lying }), (e) => {
      assert.equal(`${e.code}/${e.reason}`, `light_client/${reason}`, e.message);
      return isSELFError(e, 'light_client') && /What to do/.test(e.message);
    });
  }
  // A trust root from another chain (a wrong hash) is refused before anything is believed.
  const wrongRoot = createLightClient({ ...options, trust: { height: trustHeight, hash: '00'.repeat(32) } });
  await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner, lightClient: wrongRoot }), (e) => isSELFError(e, 'light_client') && e.reason === 'trust_root');
  // And a stale one: the trusting period is over.
  const stale = createLightClient({ ...options, now: () => Date.now() + options.trustingPeriodMs });
  await assert.rejects(discover({ nodeUrl: env('SELF_NODE_RPC'), owner, lightClient: stale }), (e) => isSELFError(e, 'light_expired'));
});

test('the pinned instance says whose it is', async () => {
  const info = await notes.info();
  assert.equal(info.owner, env('SELF_OWNER'));
  assert.ok(info.height > 0);
});

test('no grant yet: authorization_pending with the request id; the user approves; authenticate(wait) gets the session', async () => {
  let pending;
  await assert.rejects(notes.authenticate({ appId: 'notes', permissions: scopes }), (e) => {
    pending = e;
    return isSELFError(e, 'authorization_pending') && e.requestId > 0 && e.status === 403 && /selfinstance approve/.test(e.message);
  });
  const reqs = JSON.parse(inst('requests', '--json'));
  assert.ok(reqs.some((r) => r.id === pending.requestId && r.app === 'notes'), JSON.stringify(reqs));
  assert.match(inst('approve', String(pending.requestId)), /MsgGrant tx/);
  let told;
  auth = await notes.authenticate({ appId: 'notes', permissions: scopes, wait: { timeoutMs: 20_000, pollMs: 200, onPending: (id) => (told = id) } });
  assert.deepEqual([...auth.scopes].sort(), [...scopes].sort());
  assert.ok(auth.expiresAt > new Date());
  // Until the gateway has proven the grant's block it keeps answering pending.
  assert.ok(told === undefined || told > 0);
});

test('storage: save (versions), get, get a version, list with pagination, delete', async () => {
  const v1 = await auth.storage.save({ key: 'app-data', value: { preferences: { theme: 'dark' } }, encrypted: true });
  assert.deepEqual(v1, { key: 'app-data', version: 1 });
  const v2 = await auth.storage.save({ key: 'app-data', value: { preferences: { theme: 'light' } } });
  assert.equal(v2.version, 2);
  const got = await auth.storage.get('app-data');
  assert.equal(got.version, 2);
  assert.deepEqual(got.json(), { preferences: { theme: 'light' } });
  assert.deepEqual((await auth.storage.get({ key: 'app-data', version: 1 })).json(), { preferences: { theme: 'dark' } });
  const bytes = new Uint8Array([0, 1, 2, 255]);
  await auth.storage.save({ key: 'notes/a', value: bytes });
  assert.deepEqual((await auth.storage.get('notes/a')).value, bytes);
  await auth.storage.save({ key: 'notes/b', value: 'héllo b' });
  await auth.storage.save({ key: 'notes/c', value: 'c' });
  assert.equal((await auth.storage.get('notes/b')).text(), 'héllo b');

  const p1 = await auth.storage.list({ prefix: 'notes/', limit: 2 });
  assert.deepEqual(p1.items.map((i) => i.key), ['notes/a', 'notes/b']);
  assert.ok(p1.nextCursor);
  const p2 = await auth.storage.list({ prefix: 'notes/', limit: 2, cursor: p1.nextCursor });
  assert.deepEqual(p2.items.map((i) => i.key), ['notes/c']);
  assert.equal(p2.nextCursor, undefined);
  const all = [];
  for await (const it of auth.storage.listAll({ pageSize: 1 })) all.push(it.key);
  assert.deepEqual(all, ['app-data', 'notes/a', 'notes/b', 'notes/c']);

  await auth.storage.delete('notes/c');
  assert.equal(await code(auth.storage.get('notes/c')), 'not_found');
  assert.deepEqual((await auth.storage.list({ prefix: 'notes/' })).items.map((i) => i.key), ['notes/a', 'notes/b']);
});

test('storage refusals are typed and store nothing', async () => {
  for (const k of ['../x', 'notes/../a', 'Notes/a', 'a//b', 'a/']) {
    assert.equal(await code(auth.storage.save({ key: k, value: 'x' })), 'bad_key', k);
  }
  assert.equal(await code(auth.storage.save({ key: 'big', value: 'z'.repeat(5000) })), 'too_large');
  assert.equal(await code(auth.storage.get('big')), 'not_found');
  assert.equal(await code(auth.storage.save({ key: 'x', value: 'x', encrypted: false })), 'invalid_argument');
});

test('chat: one answer, then streamed piece by piece with the stored context', async () => {
  const res = await auth.ai.chat({ message: 'Help me plan my day', context: 'productivity' });
  assert.equal(res.text, 'model-reply-1-messages');
  const pieces = [];
  for await (const piece of auth.ai.chat({ message: 'And tomorrow?', context: 'productivity', stream: true })) pieces.push(piece);
  // The stored conversation (question and answer of the first call) went to the model too.
  assert.deepEqual(pieces, ['Hello', ' from', ' model-reply-3-messages']);
  assert.equal(await auth.ai.chatStream({ message: 'no context' }).text(), 'Hello from model-reply-1-messages');
});

test('a key not registered for the app is unknown_key', async () => {
  const stranger = client('notes', 'ed25519', 'SELF_STRANGER_SEED');
  assert.equal(await code(stranger.authenticate({ permissions: ['storage:read'] })), 'unknown_key');
});

test('denied and narrower grants: authorization_denied, then forbidden writes and no access to another app', async () => {
  const reader = client('reader', 'ed25519', 'SELF_READER_SEED');
  let id;
  await assert.rejects(reader.authenticate({ permissions: ['storage:write'] }), (e) => ((id = e.requestId), isSELFError(e, 'authorization_pending')));
  inst('deny', String(id));
  await assert.rejects(reader.authenticate({ permissions: ['storage:write'] }), (e) => isSELFError(e, 'authorization_denied') && e.requestId === id);

  await assert.rejects(reader.authenticate({ permissions: ['storage:read'] }), (e) => ((id = e.requestId), isSELFError(e, 'authorization_pending')));
  inst('approve', String(id));
  const r = await reader.authenticate({ permissions: ['storage:read'], wait: { timeoutMs: 20_000, pollMs: 200 } });
  await assert.rejects(r.storage.save({ key: 'x', value: 'x' }), (e) => isSELFError(e, 'forbidden') && typeof e.decision === 'string' && e.status === 403);
  assert.equal(await code(r.storage.get('x')), 'not_found');
  assert.equal(await code(r.storage.get('app-data')), 'not_found'); // notes' key, not in reader's namespace
  assert.equal(await code(r.ai.chat({ message: 'hi' })), 'forbidden');
});

test('a revoke is effective at the next block', async () => {
  assert.match(inst('revoke', 'notes'), /revoked notes/);
  const t0 = Date.now();
  await until('the revoke at the gateway', 10_000, async () => (await code(auth.storage.get('app-data'))) === 'forbidden');
  assert.ok(Date.now() - t0 < 5000, `revoke took ${Date.now() - t0} ms`);
});

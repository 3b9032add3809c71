// Shared storage (another app's namespace, read-only): the request the SDK signs
// and sends, and how it treats answers — against a local HTTP server standing in
// for the transport (the gateway's side is tested from Go: instance/share_test.go
// and TestJSSharedRead there, which runs this SDK against the real gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SELFClient, Auth, isSELFError, signBytes, sessionNonce, fromBase64 } from '../../dist/index.js';

async function server(handler) {
  const s = http.createServer(handler);
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${s.address().port}`;
  return { base, close: () => new Promise((r) => { s.closeAllConnections(); s.close(r); }) };
}
const seed = new Uint8Array(32).fill(7);
const session = (base) => {
  const c = new SELFClient({
    appId: 'reader', appKey: { type: 'ed25519', seed }, owner: 'self1owner', instanceUrl: 'https://instance.test',
    fetch: (url, init) => fetch(url.replace('https://instance.test', base), init),
  });
  return new Auth(c, 'reader', 'self1owner', { session: 'tok', expires_at: 0, scopes: ['storage:read-shared:diary/notes/'], height: 1 });
};

test('shared get and list send ?app=<id> in the signed query and read the answer', async () => {
  const seen = [];
  const srv = await server((req, res) => {
    seen.push(req);
    const ns = { 'X-Self-Namespace': 'diary' };
    if (req.url.startsWith('/v1/storage/?')) {
      res.writeHead(200, { ...ns, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ items: [{ key: 'notes/a', version: 1, size: 3, updated_at: 1 }], next_cursor: 'notes/a' }));
      return;
    }
    res.writeHead(200, { ...ns, 'X-Self-Version': '2' });
    res.end('hi!');
  });
  try {
    const sh = session(srv.base).storage.shared('diary');
    const v = await sh.get({ key: 'notes/a b', version: 2 });
    assert.equal(v.text(), 'hi!');
    assert.equal(v.version, 2);
    const page = await sh.list({ prefix: 'notes/', limit: 5, cursor: 'x' });
    assert.deepEqual(page.items.map((i) => i.key), ['notes/a']);
    assert.equal(page.nextCursor, 'notes/a');
    assert.equal(seen[0].url, '/v1/storage/notes/a%20b?app=diary&version=2');
    assert.equal(seen[1].url, '/v1/storage/?app=diary&cursor=x&limit=5&prefix=notes%2F');
    // The signature covers the path and query exactly as sent.
    const pub = ed25519.getPublicKey(seed);
    for (const [i, r] of seen.entries()) {
      const msg = signBytes('self1owner', sessionNonce('tok', i + 1), 'GET', r.url, new Uint8Array(0), Number(r.headers['x-self-timestamp']));
      assert.ok(ed25519.verify(fromBase64(r.headers['x-self-signature']), msg, pub), `signature of ${r.url}`);
    }
  } finally {
    await srv.close();
  }
});

test('an answer without the namespace header (an older instance) is not used', async () => {
  const srv = await server((req, res) => {
    res.writeHead(200, { 'X-Self-Version': '1' }); // the app's own value, ?app ignored
    res.end('own');
  });
  try {
    const sh = session(srv.base).storage.shared('diary');
    await assert.rejects(sh.get('notes/a'), (e) => isSELFError(e, 'namespace') && /not app diary's/.test(e.message));
    await assert.rejects(sh.list(), (e) => isSELFError(e, 'namespace'));
  } finally {
    await srv.close();
  }
});

test('refusals are typed: forbidden with its decision; shared_read_only', async () => {
  const srv = await server((req, res) => {
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'forbidden', message: 'the grant does not cover storage:read-shared:diary/secrets/x', decision: 'DECISION_SCOPE_NOT_GRANTED' } }));
  });
  try {
    const auth = session(srv.base);
    await assert.rejects(auth.storage.shared('diary').get('secrets/x'),
      (e) => isSELFError(e, 'forbidden') && e.decision === 'DECISION_SCOPE_NOT_GRANTED' && e.status === 403);
  } finally {
    await srv.close();
  }
  const ro = await server((req, res) => {
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'shared_read_only', message: "app diary's namespace is read-only to reader" } }));
  });
  try {
    const res = session(ro.base).request('PUT', '/v1/storage/notes/a?app=diary', new Uint8Array([1]));
    await assert.rejects(res, (e) => isSELFError(e, 'shared_read_only') && /What to do: .*your own namespace/.test(e.message));
  } finally {
    await ro.close();
  }
});

test('a malformed app id, or the app itself, is refused before sending', async () => {
  let hits = 0;
  const srv = await server((req, res) => {
    hits++;
    res.end();
  });
  try {
    const st = session(srv.base).storage;
    for (const bad of ['Diary', 'di', 'diary/..', 'diary-', '', '1app', 'a'.repeat(65)]) {
      await assert.rejects(st.shared(bad).get('notes/a'), (e) => isSELFError(e, 'invalid_argument'), bad);
    }
    await assert.rejects(st.shared('reader').list(), (e) => isSELFError(e, 'invalid_argument') && /own namespace/.test(e.message));
    await assert.rejects(st.shared('diary').get('notes/../secrets'), (e) => isSELFError(e, 'bad_key'));
    assert.equal(hits, 0);
  } finally {
    await srv.close();
  }
});

// The client's timeouts and aborts, against a local HTTP server standing in for
// the transport (the gateway itself is tested end to end from Go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SELFClient, Auth, isSELFError } from '../../dist/index.js';

async function server(handler) {
  const s = http.createServer(handler);
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${s.address().port}`;
  return { s, base, close: () => new Promise((r) => { s.closeAllConnections(); s.close(r); }) };
}
const clientFor = (base, timeoutMs) =>
  new SELFClient({
    appId: 'notes', appKey: { type: 'ed25519', seed: new Uint8Array(32) }, owner: 'self1owner',
    instanceUrl: 'https://instance.test', timeoutMs,
    fetch: (url, init) => fetch(url.replace('https://instance.test', base), init),
  });
const session = (c) => new Auth(c, 'notes', 'self1owner', { session: 'tok', expires_at: 0, scopes: ['ai:chat'], height: 1 });
const sse = (res, pieces, gapMs) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  let i = 0;
  const next = () => {
    if (i < pieces.length) {
      res.write(`data: {"choices":[{"delta":{"content":${JSON.stringify(pieces[i++])}}}]}\n\n`);
      setTimeout(next, gapMs);
    } else res.end('data: [DONE]\n\n');
  };
  next();
};

test('a request with no answer in timeoutMs is a timeout error', async () => {
  const srv = await server(() => {}); // never answers
  try {
    const t0 = Date.now();
    await assert.rejects(clientFor(srv.base, 300).info(), (e) => isSELFError(e, 'timeout') && /timeoutMs/.test(e.message));
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    await srv.close();
  }
});

test('a stream may outlast timeoutMs; its signal cancels it', async () => {
  // Margins wide enough for a loaded CI machine: the headers must beat 500 ms, the
  // whole stream (~1.2 s) must not need to.
  const srv = await server((req, res) => sse(res, ['a', 'b', 'c', 'd'], 300));
  try {
    const auth = session(clientFor(srv.base, 500));
    assert.equal(await auth.ai.chatStream({ message: 'hi' }).text(), 'abcd'); // ~1.2 s > 500 ms
    const ctl = new AbortController();
    const got = [];
    await assert.rejects(async () => {
      for await (const p of auth.ai.chat({ message: 'hi', stream: true, signal: ctl.signal })) {
        got.push(p);
        ctl.abort();
      }
    }, (e) => isSELFError(e, 'transport'));
    assert.deepEqual(got, ['a']);
  } finally {
    await srv.close();
  }
});

test('a stream read to [DONE] leaves its connection for the next request', async () => {
  let conns = 0;
  const srv = await server((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('data: {"choices":[{"delta":{"content":"x"}}]}\n\n');
    setTimeout(() => res.write('data: [DONE]\n\n'), 20);
    setTimeout(() => res.end(), 60); // the terminator comes after [DONE]
  });
  srv.s.on('connection', () => conns++);
  try {
    const auth = session(clientFor(srv.base, 2000));
    for (let i = 0; i < 3; i++) {
      assert.equal(await auth.ai.chatStream({ message: 'hi' }).text(), 'x');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(conns <= 2, `${conns} connections for 3 streams`); // without the drain: one per stream or more
  } finally {
    await srv.close();
  }
});

test('requests are signed with a fresh sequence number each', async () => {
  const seen = [];
  const srv = await server((req, res) => {
    seen.push([req.headers['x-self-seq'], req.headers.authorization, req.url]);
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Self-Version': '3' });
    res.end('{"key":"a","version":3}');
  });
  try {
    const auth = session(clientFor(srv.base, 2000));
    await Promise.all([auth.storage.save({ key: 'a', value: 'x' }), auth.storage.get('a'), auth.storage.list({ prefix: 'a/', cursor: 'a b', limit: 2 })]);
    assert.deepEqual(seen.map((s) => s[0]).sort(), ['1', '2', '3']);
    assert.ok(seen.every((s) => s[1] === 'Self tok'));
    assert.ok(seen.some((s) => s[2] === '/v1/storage/?cursor=a+b&limit=2&prefix=a%2F'), JSON.stringify(seen));
  } finally {
    await srv.close();
  }
});

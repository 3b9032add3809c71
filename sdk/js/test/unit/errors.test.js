// Error mapping: the instance's error bodies and transport failures become SELFError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SELFError, ErrorCode, errorFromBody, transportError, isSELFError, SELFClient as CoreClient } from '../../dist/index.js';
import { SELFClient } from '../../dist/node.js';

test('an error body maps to code, message, request id and decision', () => {
  const e = errorFromBody(403, JSON.stringify({ error: { code: 'authorization_pending', message: 'the user has not granted these scopes yet', request_id: 7 } }));
  assert.ok(e instanceof SELFError && e instanceof Error);
  assert.equal(e.name, 'SELFError');
  assert.equal(e.code, ErrorCode.Pending);
  assert.equal(e.status, 403);
  assert.equal(e.requestId, 7);
  assert.equal(e.shortMessage, 'the user has not granted these scopes yet');
  assert.match(e.message, /request 7/);
  assert.match(e.message, /selfinstance approve/);
  const f = errorFromBody(403, JSON.stringify({ error: { code: 'forbidden', message: 'revoked', decision: 'DECISION_NO_GRANT' } }));
  assert.equal(f.decision, 'DECISION_NO_GRANT');
  assert.ok(isSELFError(f, 'forbidden') && !isSELFError(f, 'not_found'));
});

test('a body that is not the protocol is a decode error, whatever the status', () => {
  for (const body of ['', '<html>bad gateway</html>', '{"error":{}}', '{"error":"x"}', 'null', '[]']) {
    const e = errorFromBody(502, body);
    assert.equal(e.code, 'decode', body);
    assert.equal(e.status, 502);
  }
});

test('transport failures keep their cause; an inner SELFError (the TLS pin) wins', () => {
  const net = new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
  const e = transportError(net);
  assert.equal(e.code, 'transport');
  assert.equal(e.cause, net);
  assert.match(e.message, /ECONNREFUSED|fetch failed/);
  const pin = new SELFError('tls_key', 'wrong key');
  assert.equal(transportError(new TypeError('fetch failed', { cause: pin })), pin);
  const t = new DOMException('timed out', 'TimeoutError');
  assert.equal(transportError(t).code, 'timeout');
});

test('config mistakes are typed errors that say what to pass', () => {
  const seed = new Uint8Array(32);
  assert.throws(() => new CoreClient({ appKey: { type: 'ed25519', seed } }), (e) => e.code === 'invalid_argument' && /appId/.test(e.message));
  assert.throws(() => new CoreClient({ appId: 'notes', appKey: { type: 'ed25519', seed }, environment: 'testnet' }), (e) => e.code === 'discovery' && /instanceUrl/.test(e.message));
  assert.throws(() => new CoreClient({ appId: 'notes', appKey: { type: 'ed25519', seed }, instanceUrl: 'http://x' }), (e) => e.code === 'invalid_argument' && /https/.test(e.message));
  assert.throws(() => new SELFClient({ appId: 'notes', appKey: { type: 'ed25519', seed }, instanceUrl: 'https://127.0.0.1:1' }), (e) => e.code === 'tls_key' && /registry/.test(e.message));
  assert.throws(() => new SELFClient({ appId: 'notes', appKey: { type: 'ed25519', seed }, instanceUrl: 'https://127.0.0.1:1', tlsKey: 'abcd' }), (e) => e.code === 'invalid_argument');
});

test('an unreachable instance is a transport error with the cause', async () => {
  const c = new SELFClient({ appId: 'notes', appKey: { type: 'ed25519', seed: new Uint8Array(32) }, instanceUrl: 'https://127.0.0.1:9', tlsKey: new Uint8Array(32), timeoutMs: 2000 });
  await assert.rejects(c.info(), (e) => isSELFError(e, 'transport') && e.cause !== undefined);
});

// Random input to the decoders of what the instance sends: every failure is a
// SELFError, never a crash with another type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chatPieces, errorFromBody, instanceFromResolve, verifyResolve, addressBytes, SELFError } from '../../dist/index.js';

const pieces = ['data:', 'data: ', 'event: error', 'event:', ': c', '\n', '\r', '\r\n', '[DONE]', '{"choices":[{"delta":{"content":"x"}}]}',
  '{"error":{"code":"x","message":"y"}}', '{', '}', '"', 'é', '\u0000', '{"choices":null}', '{"choices":[null]}', '{"choices":[{"delta":{"content":1}}]}'];

async function* chunked(bytes) {
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + (bytes[i] % 9);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

test('chat streams of random pieces end with a string list or a SELFError', async () => {
  for (let round = 0; round < 2000; round++) {
    const r = randomBytes(24);
    let s = '';
    for (const b of r) s += pieces[b % pieces.length];
    const bytes = round % 5 === 0 ? randomBytes(64) : new TextEncoder().encode(s);
    try {
      for await (const p of chatPieces(chunked(bytes))) assert.equal(typeof p, 'string');
    } catch (e) {
      assert.ok(e instanceof SELFError, `stream ${JSON.stringify(s)} threw ${e}`);
    }
  }
});

test('error bodies and registry answers of random JSON never throw anything but SELFError', () => {
  const values = [null, 0, 'x', [], {}, true, { code: 1 }, { error: null }, { error: { code: '' } }, { nodes: [null, 1, { node: null }] }, { verified: true, nodes: [{ node: { signing_key: { type: 'ed25519', key: 7 }, endpoints: ['h'], owner: 'o' } }] }];
  for (const v of values) {
    for (const text of [JSON.stringify(v), randomBytes(8).toString('latin1')]) {
      assert.ok(errorFromBody(500, text) instanceof SELFError);
      try {
        instanceFromResolve(text);
      } catch (e) {
        assert.ok(e instanceof SELFError, `${text}: ${e}`);
      }
    }
  }
});

test('registry answers of random bytes are discovery errors', () => {
  const hash = new Uint8Array(32);
  for (let i = 0; i < 3000; i++) {
    const b = randomBytes(i % 200);
    // Mostly-valid framing: a proofs field (3) around random bytes.
    const framed = Buffer.concat([Buffer.from([0x1a, b.length]), b]).subarray(0, 2 + Math.min(b.length, 127));
    framed[1] = framed.length - 2;
    for (const input of [b, framed]) {
      assert.throws(() => verifyResolve(hash, 'self1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v6', input), (e) => e instanceof SELFError && e.code === 'discovery');
    }
  }
});

test('bech32 owners: checksum and length checked', () => {
  for (const bad of ['', 'self1', 'self1qqqq', 'Self1QQQsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v6', 'self1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']) {
    assert.throws(() => addressBytes(bad), (e) => e instanceof SELFError && e.code === 'discovery', bad);
  }
});

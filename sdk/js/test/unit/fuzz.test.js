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

test('light client: random node answers (shapes, types, values) end in a SELFError, never another throw', async () => {
  const { parseLightBlock, createLightClient } = await import('../../dist/index.js');
  const { readFileSync } = await import('node:fs');
  const v = JSON.parse(readFileSync(new URL('../vectors/light.json', import.meta.url), 'utf8'));
  const odd = [null, undefined, 0, -1, 1.5, '', 'x', '-1', '99999999999999999999999', [], {}, [null], { a: 1 }, true, 'AA', '0'.repeat(64)];
  const pick = (r, a) => a[r % a.length];
  // Replace one value at a random path of a real answer with an odd one.
  const mutate = (o, r) => {
    const c = structuredClone(o);
    let cur = c;
    for (let depth = 0; depth < 6; depth++) {
      const keys = cur && typeof cur === 'object' ? Object.keys(cur) : [];
      if (keys.length === 0) break;
      const k = pick(r[depth], keys);
      if (depth === 5 || !cur[k] || typeof cur[k] !== 'object' || r[depth + 6] % 3 === 0) {
        cur[k] = pick(r[depth + 12], odd);
        break;
      }
      cur = cur[k];
    }
    return c;
  };
  for (let round = 0; round < 500; round++) {
    const r = randomBytes(20);
    const b = v.blocks[String(1 + (r[19] % 8))];
    const m = mutate(r[18] % 2 ? b.commit : b.validators, r);
    try {
      if (r[18] % 2) parseLightBlock(m, b.validators);
      else parseLightBlock(b.commit, m);
    } catch (e) {
      assert.ok(e instanceof SELFError, `threw ${e}`);
    }
  }
  // Whole answers of random bytes, through the client.
  for (let round = 0; round < 50; round++) {
    const body = randomBytes(40);
    const lc = createLightClient({ rpc: 'http://x', chainId: v.chain_id, trust: { height: 1, hash: v.cases[0].trust_hash }, trustingPeriodMs: 1e12, fetch: async () => new Response(body) });
    await assert.rejects(lc.verifiedAppHash(2), (e) => e instanceof SELFError);
  }
});

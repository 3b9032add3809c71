// Cross-language vectors: fixtures/vectors.json is written by the Go SDK's
// TestJSVectors (sdk/jsvectors_test.go), which in turn verifies js_signatures.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { signBytes, signerFromSeed, verify, keyHeader, fromHex, toHex, HybridSigSize, HybridPubSize } from '../../dist/index.js';

const v = JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8'));
const js = JSON.parse(readFileSync(new URL('../fixtures/js_signatures.json', import.meta.url), 'utf8'));

test('signBytes matches Go wire.SignBytes', () => {
  assert.ok(v.sign_bytes.length >= 3);
  for (const s of v.sign_bytes) {
    assert.equal(toHex(signBytes(s.owner, s.nonce, s.method, s.path, fromHex(s.body_hex), s.timestamp)), s.sign_bytes_hex);
  }
});

for (const file of [['vectors.json (Go)', v], ['js_signatures.json (JS)', js]]) {
  test(`keys and signatures of ${file[0]}`, () => {
    const types = new Set();
    for (const k of file[1].keys) {
      types.add(k.type);
      const s = signerFromSeed(k.type, k.seed_hex);
      assert.equal(toHex(s.publicKey), k.pub_key_hex, `${k.type}: public key from seed`);
      assert.ok(verify(k.type, s.publicKey, fromHex(k.msg_hex), fromHex(k.sig_hex)), `${k.type}: signature verifies`);
    }
    assert.deepEqual([...types].sort(), ['ed25519', 'hybrid', 'mldsa65']);
  });
}

test('hybrid layout: sizes, both halves required, domain separated', () => {
  const k = v.keys.find((x) => x.type === 'hybrid');
  const s = signerFromSeed('hybrid', k.seed_hex);
  assert.equal(s.publicKey.length, HybridPubSize);
  const msg = fromHex(k.msg_hex);
  const sig = s.sign(msg);
  assert.equal(sig.length, HybridSigSize);
  assert.ok(verify('hybrid', s.publicKey, msg, sig));
  for (const at of [0, 63, 64, HybridSigSize - 1]) {
    const bad = sig.slice();
    bad[at] ^= 1;
    assert.equal(verify('hybrid', s.publicKey, msg, bad), false, `flipped byte ${at}`);
  }
  assert.equal(verify('hybrid', s.publicKey, msg, sig.subarray(0, 64)), false);
  // The Ed25519 half is not a standalone ed25519 signature of msg.
  assert.equal(verify('ed25519', s.publicKey.subarray(0, 32), msg, sig.subarray(0, 64)), false);
  assert.match(keyHeader(s), /^hybrid:[A-Za-z0-9+/]+=*$/);
});

test('a wrong-sized seed is a typed error', () => {
  assert.throws(() => signerFromSeed('hybrid', new Uint8Array(31)), (e) => e.code === 'invalid_argument' && /32 bytes/.test(e.message));
  assert.throws(() => signerFromSeed('slhdsa', new Uint8Array(32)), (e) => e.code === 'invalid_argument');
  assert.throws(() => signerFromSeed('mldsa65', new Uint8Array(33)), (e) => e.code === 'invalid_argument');
});

// instanceFromResolve: the instance's URL and TLS key from a registry answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceFromResolve, toHex } from '../../dist/index.js';

const key = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA='; // bytes 1..32
const answer = (over = {}) => ({
  height: '12',
  verified: true,
  nodes: [
    { node: { owner: 'self1alice', endpoints: ['10.0.0.1:7443'], signing_key: { type: 'hybrid', key: 'AAAA' } } },
    { node: { owner: 'self1alice', endpoints: [], signing_key: { type: 'ed25519', key } } },
    { node: { owner: 'self1alice', endpoints: ['127.0.0.1:8443', 'x:1'], signing_key: { type: 'ed25519', key } } },
  ],
  ...over,
});

test('the first node with an ed25519 key and an endpoint is the instance', () => {
  const loc = instanceFromResolve(JSON.stringify(answer()));
  assert.equal(loc.instanceUrl, 'https://127.0.0.1:8443');
  assert.equal(toHex(loc.tlsKey), Array.from({ length: 32 }, (_, i) => (i + 1).toString(16).padStart(2, '0')).join(''));
  assert.equal(loc.owner, 'self1alice');
});

test('unverified, malformed or empty answers are discovery errors', () => {
  const bad = [
    [answer({ verified: false }), /--verify/],
    ['{not json', /not JSON/],
    [answer({ nodes: null }), /no nodes/],
    [answer({ nodes: [] }), /no instance/],
    [answer({ nodes: [{ node: { owner: 'o', endpoints: ['h:1'], signing_key: { type: 'ed25519', key: 'AAAA' } } }] }), /3 bytes/],
  ];
  for (const [a, re] of bad) {
    assert.throws(() => instanceFromResolve(a), (e) => e.code === 'discovery' && re.test(e.message), String(re));
  }
  assert.equal(instanceFromResolve(answer({ verified: false }), { allowUnverified: true }).instanceUrl, 'https://127.0.0.1:8443');
});

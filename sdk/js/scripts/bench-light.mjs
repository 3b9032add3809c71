// Times the light client on test/vectors/light.json (no network: a node stand-in
// serving the vectors): node scripts/bench-light.mjs (after npm run build).
import { readFileSync } from 'node:fs';
import { createLightClient, parseLightBlock, voteSignBytes } from '../dist/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';

const v = JSON.parse(readFileSync(new URL('../test/vectors/light.json', import.meta.url), 'utf8'));
const fetch = async (url) => {
  const u = new URL(url);
  const b = v.blocks[u.searchParams.get('height')];
  return new Response(JSON.stringify({ result: u.pathname === '/commit' ? b.commit : b.validators }));
};
const c0 = v.cases[0];
const client = () => createLightClient({ rpc: 'http://x', chainId: v.chain_id, trust: { height: 1, hash: c0.trust_hash }, trustingPeriodMs: v.trusting_period_ms, fetch, now: () => c0.now_ms });
const time = async (what, n, f) => {
  await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(`${what}: ${((performance.now() - t) / n).toFixed(2)} ms`);
};
const b = parseLightBlock(v.blocks['2'].commit, v.blocks['2'].validators);
const ed = b.validators.findIndex((x) => x.type === 'ed25519');
const ml = b.validators.findIndex((x) => x.type === 'mldsa65');
await time('one Ed25519 commit signature', 50, () => ed25519.verify(b.commit.signatures[ed].signature, voteSignBytes(v.chain_id, b.commit, ed), b.validators[ed].pubKey));
await time('one ML-DSA-65 commit signature', 50, () => ml_dsa65.verify(b.commit.signatures[ml].signature, voteSignBytes(v.chain_id, b.commit, ml), b.validators[ml].pubKey));
await time('trust root 1, then header 2 (adjacent)', 20, () => client().verifyHeader(2));
await time('trust root 1, then header 4 (skip)', 20, () => client().verifyHeader(4));
await time('trust root 1, then header 8 (bisection: 4, 6, 5, 8)', 20, () => client().verifyHeader(8));
